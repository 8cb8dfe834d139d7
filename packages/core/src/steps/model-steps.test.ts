import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../spec/load.js';
import { runPipeline } from '../engine/run.js';
import './index.js'; // registers the built-in kinds, as the package entry does
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import { lastUserMessage } from '../testing/replies.js';

/* summarize, translate and answer run through the engine: templates, model resolution, streaming, warnings, usage. */

const yaml = (models: string) => `
version: 1
name: model-steps
inputs:
  question: { type: string, required: true }
  doc: { type: string, required: true }
${models}
steps:
  - id: reply
    answer: { question: "{{ inputs.question }}", passages: ["{{ inputs.doc }}"] }
  - id: short
    summarize: { text: "{{ inputs.doc }}", max_words: 40, style: bullets }
  - id: zh
    translate: { text: "{{ steps.reply.answer }}", to: zh, from: en }
outputs:
  answer: "{{ steps.reply.answer }}"
  grounded: "{{ steps.reply.grounded }}"
  summary: "{{ steps.short.summary }}"
  zh: "{{ steps.zh.text }}"
`;

let doc: string;
beforeAll(async () => {
  doc = await readFile(new URL('../../../../examples/community-docs/en/guide/fetch-retries.md', import.meta.url), 'utf8');
});

describe('model steps in a pipeline', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({
      handler: (req) => {
        const system = req.body.messages[0].content as string;
        if (system.includes('professional translator')) {
          const items = JSON.parse(lastUserMessage(req)).items as string[];
          return JSON.stringify({ translations: items.map((t) => `中文：${t}`) });
        }
        if (system.includes('faithful summaries')) return '- Failed fetches are retried with backoff.';
        return 'Retries live in `fetch.retry` [1]. Ask the admin [4].';
      },
    });
  });
  afterAll(async () => { await fake.close(); });

  it('runs answer, summarize and translate against the model, with checked citations and usage', async () => {
    const pipeline = await loadPipeline(yaml(`models:\n  default: { provider: openai, model: fake-model, base_url: "${fake.url}", temperature: 0 }`));
    const tokens: string[] = [];
    const result = await runPipeline(pipeline, { question: 'How do I configure fetch retries?', doc }, { cache: false, env: {}, onToken: (t) => tokens.push(t) });
    expect(result.status).toBe('ok');
    expect(result.outputs).toEqual({
      answer: 'Retries live in `fetch.retry` [1]. Ask the admin.',
      grounded: true,
      summary: '- Failed fetches are retried with backoff.',
      zh: '中文：Retries live in `fetch.retry` [1]. Ask the admin.',
    });
    expect(result.steps.reply.warnings).toEqual(['the model cited [4], but only 1 passage was given: marker removed']);
    expect(result.usage.calls).toBe(3);
    // the last model step streams (translate does not: its replies are JSON)
    expect(tokens.join('')).toBe('');
    const translateReq = fake.requests.find((r) => (r.body.messages[0].content as string).includes('translator'))!;
    expect(JSON.parse(lastUserMessage(translateReq)).items).toEqual(['Retries live in ⟦1⟧ [1]. Ask the admin.']);
  });

  it('offline: extractive answer and summary; translate fails naming its step and how to configure a model', async () => {
    const pipeline = await loadPipeline(yaml(''));
    const result = await runPipeline(pipeline, { question: 'How do I configure fetch retries?', doc }, { env: {} });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('PROVIDER_NOT_CONFIGURED');
    expect(result.error?.stepId).toBe('zh');
    expect(result.error?.hint).toMatch(/--model openai:NAME/);
    const reply = result.steps.reply.output as { answer: string; grounded: boolean; extractive: boolean };
    expect(reply.extractive).toBe(true);
    expect(reply.grounded).toBe(true);
    expect(reply.answer).toMatch(/^Extractive answer \(no model configured; quoted from the sources\):\n.*fetch\.retry.*\[1\]/s);
    const short = result.steps.short.output as { summary: string; extractive: boolean };
    expect(short.extractive).toBe(true);
    expect(short.summary.startsWith('- ')).toBe(true);
    expect(result.steps.short.warnings[0]).toMatch(/extractive/);
  });
});
