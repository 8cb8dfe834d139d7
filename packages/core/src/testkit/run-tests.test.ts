import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, validatePipeline } from '../spec/load.js';
import { runPipeline } from '../engine/run.js';
import '../steps/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/index.js';
import { isOfflineRun, runPipelineTests, summarizeTestRun } from './run-tests.js';

const ARTICLE = [
  'The new scheduler fetches every feed on its own timer instead of one big cron job.',
  'Each feed is retried with exponential backoff when its server fails.',
  'Popular feeds are polled more often, quiet ones less, which cut outgoing requests by half.',
  'The result is fresher articles with less load on everyone\'s servers.',
].join(' ');

// Both paths in one file: the model step runs only with a model, and the output merges the branches.
const BRANCHY = `
version: 1
name: branchy
inputs:
  text: { type: string, required: true }
  force_model: { type: boolean, default: false }
steps:
  - id: gist
    summarize: { text: "{{ inputs.text }}", max_words: 30 }
  - id: polish
    when: "{{ run.offline == false or inputs.force_model }}"
    prompt: { template: "Polish this: {{ steps.gist.summary }}" }
outputs:
  text: "{% if run.offline %}{{ steps.gist.summary }}{% else %}{{ steps.polish.text }}{% endif %}"
  offline: "{{ run.offline }}"
  model: "{{ run.model }}"
  polished: "{{ steps.polish.text }}"
tests:
  - name: offline keeps the extractive summary
    mode: offline
    inputs: { text: "${ARTICLE}" }
    assert:
      - { path: text, contains: backoff }
      - { path: offline, equals: true }
      - { path: polished, equals: null }
  - name: a model polishes the summary
    mode: model
    inputs: { text: "${ARTICLE}" }
    assert:
      - { path: text, matches: "^Fake answer: Polish this" }
      - { path: model, equals: "openai:fake-model" }
  - name: the prompt step refuses offline
    mode: offline
    inputs: { text: "${ARTICLE}", force_model: true }
    expect_error: PROVIDER_NOT_CONFIGURED
  - name: an expected error that does not happen
    inputs: { text: "${ARTICLE}" }
    expect_error: RUN_TIMEOUT
  - name: a wrong expectation
    mode: any
    inputs: { text: "${ARTICLE}" }
    assert:
      - { path: text, contains: "no such words" }
      - { max_tokens: 100000 }
`;

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

const offlineEnv = { env: {} };
const withModel = () => ({ models: { default: { provider: 'openai', model: 'fake-model', base_url: fake.url } }, env: { OPENAI_API_KEY: 'sk-test' } });

describe('runPipelineTests', () => {
  it('runs offline cases, skips model cases, and checks expected errors', async () => {
    const pipeline = await loadPipeline(BRANCHY, { file: 'branchy.yaml' });
    const results = await runPipelineTests(pipeline, offlineEnv);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['offline keeps the extractive summary']).toMatchObject({ status: 'passed', pipeline: 'branchy' });
    expect(byName['offline keeps the extractive summary'].checks.map((c) => c.ok)).toEqual([true, true, true]);
    expect(byName['a model polishes the summary']).toMatchObject({ status: 'skipped', reason: expect.stringContaining('needs a model') });
    expect(byName['the prompt step refuses offline']).toMatchObject({ status: 'passed', errorCode: 'PROVIDER_NOT_CONFIGURED' });
    expect(byName['an expected error that does not happen'].status).toBe('failed');
    expect(byName['an expected error that does not happen'].checks[0]).toMatchObject({ ok: false, detail: 'the run succeeded' });
    const wrong = byName['a wrong expectation'];
    expect(wrong.status).toBe('failed');
    expect(wrong.checks.find((c) => !c.ok)?.detail).toContain('backoff');
    expect(summarizeTestRun(results)).toMatchObject({ passed: 2, failed: 2, skipped: 1 });
  });

  it('with a model, runs the model cases against an OpenAI-compatible server and skips offline ones', async () => {
    const pipeline = await loadPipeline(BRANCHY, { file: 'branchy.yaml' });
    const results = await runPipelineTests(pipeline, withModel());
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['a model polishes the summary'].status).toBe('passed');
    expect(byName['a model polishes the summary'].tokens).toBeGreaterThan(0);
    expect(byName['offline keeps the extractive summary']).toMatchObject({ status: 'skipped', reason: expect.stringContaining('offline only') });
    expect(byName['the prompt step refuses offline'].status).toBe('skipped');
    expect(fake.requestsTo('chat').length).toBeGreaterThan(0);
  });

  it('runs only the cases whose name matches the filter and reports each as it ends', async () => {
    const pipeline = await loadPipeline(BRANCHY, { file: 'branchy.yaml' });
    const seen: string[] = [];
    const results = await runPipelineTests(pipeline, { ...offlineEnv, filter: 'REFUSES', onCase: (r) => seen.push(r.name) });
    expect(results.map((r) => r.name)).toEqual(['the prompt step refuses offline']);
    expect(seen).toEqual(['the prompt step refuses offline']);
  });

  it('counts LOOM_MODEL as a configured model, like run.offline does', async () => {
    const pipeline = await loadPipeline(BRANCHY, { file: 'branchy.yaml' });
    expect(isOfflineRun(pipeline, { env: {} })).toBe(true);
    expect(isOfflineRun(pipeline, { env: { LOOM_MODEL: 'openai:x' } })).toBe(false);
    const run = await runPipeline(pipeline, { text: ARTICLE }, { env: {} });
    expect(run.outputs).toMatchObject({ offline: true, model: null, polished: null });
  });
});

describe('tests: blocks and run.* in the validator', () => {
  it('refuses an unknown expect_error code with a suggestion, and a case with neither assert nor expect_error', async () => {
    const text = BRANCHY.replace('expect_error: RUN_TIMEOUT', 'expect_error: RUN_TIMEOUTS').replace(
      'tests:\n',
      'tests:\n  - name: empty\n    inputs: { text: x }\n',
    );
    const r = await validatePipeline(text, { file: 'bad.yaml' });
    const messages = r.diagnostics.map((d) => `${d.code} ${d.message} ${d.hint ?? ''}`);
    expect(messages.some((m) => m.includes('RUN_TIMEOUTS') && m.includes('did you mean RUN_TIMEOUT'))).toBe(true);
    expect(messages.some((m) => m.includes('assert') && m.includes('expect_error'))).toBe(true);
  });

  it('refuses an unknown mode and an unknown run.* name', async () => {
    const text = BRANCHY.replace('mode: any', 'mode: sometimes').replace('{{ run.model }}', '{{ run.models }}');
    const r = await validatePipeline(text, { file: 'bad.yaml' });
    expect(r.diagnostics.some((d) => d.path?.includes('mode') || d.message.includes('mode'))).toBe(true);
    const ref = r.diagnostics.find((d) => d.code === 'unknown-ref');
    expect(ref?.message).toContain('run.models');
    expect(ref?.hint).toContain('run.model');
  });

  it("refuses 'run' as a loop variable name", async () => {
    const text = `version: 1\nname: x\nsteps:\n  - id: a\n    foreach: "{{ inputs.list }}"\n    as: run\n    summarize: { text: "{{ run }}" }\ninputs:\n  list: { type: array }\n`;
    const r = await validatePipeline(text, { file: 'x.yaml' });
    expect(r.pipeline).toBeUndefined();
  });
});
