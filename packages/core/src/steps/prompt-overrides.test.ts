import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../engine/run.js';
import { validatePipeline } from '../spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import './index.js'; // registers the built-in kinds, as the package entry does

/* Prompt overrides (`system:`, `prompt:`) see the step's prompt variables; the documented example runs. */

const doc = readFileSync(new URL('../../../../docs/model-steps.md', import.meta.url), 'utf8');
const example = /Override them per step[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(doc)![1];

let fake: FakeOpenAI;
beforeAll(async () => { fake = await startFakeOpenAI(); });
afterAll(() => fake.close());

describe('answer prompt overrides', () => {
  it('the example in docs/model-steps.md validates clean and sends its prompt with the variables filled in', async () => {
    const checked = await validatePipeline(example, { file: 'docs/model-steps.md' });
    expect(checked.diagnostics).toEqual([]);
    const models = { default: { provider: 'openai', model: 'fake-model', base_url: fake.url } };
    const r = await runPipeline(checked.pipeline!, { question: 'How are failed fetches retried?' }, { models, env: {}, cache: false });
    expect(r.error).toBeUndefined();
    expect(r.outputs.answer).toEqual(expect.any(String));
    const system = fake.requestsTo('chat')[0].body.messages[0].content as string;
    expect(system.trim()).toBe('Answer in one sentence, in English, citing passages as [n].\nReply NO_ANSWER if they do not contain the answer.');
  });

  it('a misspelt prompt variable is reported with the names the step provides', async () => {
    const bad = example.replace('{{ language }}', '{{ langauge }}');
    const { diagnostics } = await validatePipeline(bad);
    expect(diagnostics).toEqual([expect.objectContaining({
      code: 'unknown-ref', message: expect.stringContaining('unknown name "langauge" in the prompt template'), hint: expect.stringContaining('did you mean language?'),
    })]);
  });
});
