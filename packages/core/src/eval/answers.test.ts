import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import type { Hit } from '../store/types.js';
import type { LoadedPipeline } from '../spec/types.js';
import '../steps/index.js';
import { parseQueriesJsonl } from './cases.js';
import { evaluateAnswers, normaliseForMatch } from './answers.js';
import { formatAnswerReport } from './report.js';

// The passages come in with each case, so the real engine and the real answer step run without a store.
const PIPELINE = `
version: 1
name: answer-given
inputs:
  question: { type: string, required: true }
  passages: { type: array, required: true }
steps:
  - id: reply
    answer: { question: "{{ inputs.question }}", passages: "{{ inputs.passages }}" }
outputs:
  answer: "{{ steps.reply.answer }}"
  citations: "{{ steps.reply.citations }}"
  grounded: "{{ steps.reply.grounded }}"
`;

const hit = (source: string, text: string, n: number): Hit => ({ id: `${source}#${n}`, source, heading: 'Retries', lang: source.slice(0, 2), score: 1 - n / 10, text });
const RETRY = hit('en/guide/fetch-retries.md', 'A failed fetch is retried with exponential backoff. Set fetch.retry.max_attempts in tidewren.yaml; the default is 4 attempts.', 0);
const OTHER = hit('en/deploy/backups.md', 'Backups run nightly at 03:00 and keep seven archives. The backup command is tidewren backup create.', 1);
const ZH = hit('zh/guide/fetch-retries.md', '抓取失败时会按指数退避重试。在 tidewren.yaml 中设置 fetch.retry.max_attempts，默认尝试 4 次。', 0);

const cases = parseQueriesJsonl([
  JSON.stringify({ id: 'a1', query: 'How many times is a failed fetch retried by default?', gold: ['en/guide/fetch-retries.md'], kind: 'same-language', lang: 'en', answer_contains: ['max_attempts', '4 attempts'], inputs: { passages: [RETRY, OTHER] } }),
  JSON.stringify({ id: 'a2', query: '抓取失败默认重试几次？', gold: ['zh/guide/fetch-retries.md'], kind: 'same-language', lang: 'zh', answer_contains: ['重试', '不存在的短语'], inputs: { passages: [ZH] } }),
  JSON.stringify({ id: 'n1', query: 'Does Tidewren support LDAP login?', kind: 'no-answer', lang: 'en', expect: 'refuse', inputs: { passages: [OTHER] } }),
].join('\n'), 'cases.jsonl');

let pipeline: LoadedPipeline;
beforeAll(async () => {
  pipeline = await loadPipeline(PIPELINE, { file: 'answer-given.yaml' });
});

describe('a case\'s filter', () => {
  const withFilter = (required: boolean) => PIPELINE.replace('name: answer-given', 'name: answer-filtered')
    .replace('  passages: { type: array, required: true }', `  passages: { type: array, required: true }\n  filter: { type: object${required ? ', required: true' : ', default: {}'} }`);
  const filtered = parseQueriesJsonl(JSON.stringify({ id: 'f1', query: 'How many times is a failed fetch retried by default?', filter: { lang: 'en' }, inputs: { passages: [RETRY] } }), 'f.jsonl');

  it('reaches a pipeline with a filter input', async () => {
    const report = await evaluateAnswers({ pipeline: await loadPipeline(withFilter(true), { file: 'f.yaml' }), cases: filtered });
    expect(report.rows.map((r) => r.status)).toEqual(['ok']);
  });

  it('is refused, not ignored, by a pipeline without one', async () => {
    await expect(evaluateAnswers({ pipeline, cases: filtered })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('has a filter, but pipeline answer-given has no `filter` input') });
  });
});

describe('evaluateAnswers, offline (extractive answers through the real engine)', () => {
  it('scores citations, expected phrases and refusals per case', async () => {
    const report = await evaluateAnswers({ pipeline, cases });
    const [a1, a2, n1] = report.rows;
    expect(report.rows.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(a1.grounded).toBe(true);
    expect(a1.citedSources.length).toBeGreaterThan(0);
    // every cited passage must come from the gold page for precision 1
    const goldShare = a1.citedSources.filter((s) => s === 'en/guide/fetch-retries.md').length / a1.citedSources.length;
    expect(a1.citationPrecision).toBeCloseTo(goldShare, 9);
    expect(a1.answer).toContain('max_attempts');
    expect(a1.phraseRecall).toBe(normaliseForMatch(a1.answer).includes('4 attempts') ? 1 : 0.5);
    expect(a2.containsAll).toBe(false);
    expect(a2.phraseRecall).toBe(0.5);
    expect(a2.containsAny).toBe(true);
    // a no-answer case is scored on refusing, not on phrases
    expect(n1.expect).toBe('refuse');
    expect(n1.behaved).toBe(n1.grounded === false);
    expect(n1.phraseRecall).toBeNull();
    expect(report.overall.cases).toBe(3);
    expect(report.groups['kind=no-answer'].refusalAccuracy).toBe(n1.behaved ? 1 : 0);
    expect(report.overall.tokensPerCase).toBe(0);
    expect(formatAnswerReport(report)).toMatch(/overall\s+3\s+0\s/);
  });

  it('reports a case whose run fails and goes on with the others', async () => {
    // the required `passages` input is missing: that run cannot start
    const bad = parseQueriesJsonl('{"id": "b1", "query": "x", "gold": ["a.md"]}', 'bad.jsonl');
    const report = await evaluateAnswers({ pipeline, cases: [cases[2], ...bad, cases[2]] });
    expect(report.rows.map((r) => r.status)).toEqual(['ok', 'failed', 'ok']);
    expect(report.rows[1].error).toMatch(/passages/);
    expect(report.overall.failed).toBe(1);
    expect(formatAnswerReport(report)).toContain('failed:');
  });

  it('stops at once when the first case fails by a user mistake that every case would repeat', async () => {
    const bad = parseQueriesJsonl('{"id": "b1", "query": "x", "gold": ["a.md"]}', 'bad.jsonl');
    await expect(evaluateAnswers({ pipeline, cases: [...bad, cases[2]] })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('matches phrases across Markdown emphasis and spacing', () => {
    expect(normaliseForMatch('Set **`fetch.retry`**  to\n4')).toBe('set fetch.retry to 4');
  });
});

describe('evaluateAnswers with a model (fake OpenAI-compatible server on 127.0.0.1)', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => { fake = await startFakeOpenAI(); });
  afterAll(async () => { await fake.close(); });

  it('counts the tokens and cites what the model cited', async () => {
    fake.enqueue({ content: 'Set fetch.retry.max_attempts; the default is 4 attempts [1].' });
    const report = await evaluateAnswers({
      pipeline, cases: cases.slice(0, 1),
      runOptions: { models: { default: { provider: 'openai', model: 'fake', base_url: fake.url } }, env: {}, cache: false },
    });
    const row = report.rows[0];
    expect(row.status).toBe('ok');
    expect(row.citedSources).toEqual(['en/guide/fetch-retries.md']);
    expect(row.citationPrecision).toBe(1);
    expect(row.containsAll).toBe(true);
    expect(row.calls).toBe(1);
    expect(row.promptTokens).toBeGreaterThan(0);
    expect(row.completionTokens).toBeGreaterThan(0);
    expect(report.overall.tokensPerCase).toBe(row.promptTokens + row.completionTokens);
  });
});
