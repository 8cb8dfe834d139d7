import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeModel, pipelineOf } from '../../test/engine-kit.js';
import { exitCodeFor } from '../errors.js';
import { runPipeline } from '../engine/run.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import { buildMessages, extractJson } from './prompt.js';

const schema = { type: 'object', properties: { city: { type: 'string' }, n: { type: 'integer' } }, required: ['city', 'n'] };

describe('prompt step with a fake model handle', () => {
  it('renders a template into one user message after the system message, and outputs text', async () => {
    const model = fakeModel({ reply: (req) => `echo: ${req.messages.at(-1)!.content}` });
    const p = pipelineOf(
      [{ id: 'ask', kind: 'prompt', params: { system: 'Be brief.', template: '翻译：{{ inputs.q }}', temperature: 0, max_tokens: 20 } }],
      { text: '{{ steps.ask.text }}' },
      { q: { type: 'string', required: true } },
    );
    const r = await runPipeline(p, { q: '你好世界' }, { resolveModel: async () => model });
    expect(r.outputs.text).toBe('echo: 翻译：你好世界');
    expect(model.calls[0]).toMatchObject({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '翻译：你好世界' }],
      temperature: 0, maxTokens: 20, json: false,
    });
    expect(r.steps.ask.output).toEqual({ text: 'echo: 翻译：你好世界' });
  });

  it('passes messages through, merging the schema instruction into the system message', () => {
    const msgs = buildMessages({ messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }], schema });
    expect(msgs).toHaveLength(2);
    expect(msgs[0].content).toMatch(/^S\n\nReply with only a JSON value/);
    expect(msgs[0].content).toContain('"required":["city","n"]');
    expect(msgs[1]).toEqual({ role: 'user', content: 'U' });
  });

  it('extracts JSON from fenced or chatty replies', () => {
    expect(extractJson('```json\n{"a": [1, 2]}\n```')).toEqual({ a: [1, 2] });
    expect(extractJson('Sure! Here it is: {"城市": "北京"} hope this helps')).toEqual({ 城市: '北京' });
    expect(() => extractJson('no json here')).toThrow();
  });

  it('validates JSON against the schema; an invalid reply is a retryable PROVIDER_BAD_RESPONSE, then retried', async () => {
    const replies = ['not json at all', '{"city": "Paris"}', '```json\n{"city": "上海", "n": 3}\n```'];
    const model = fakeModel({ reply: (_req, n) => replies[n - 1] });
    const p = pipelineOf([{ id: 'extract', kind: 'prompt', params: { template: 'give me a city', schema } }], { city: '{{ steps.extract.json.city }}' });
    const errors: string[] = [];
    const r = await runPipeline(p, {}, {
      resolveModel: async () => model,
      listeners: [(e) => { if (e.type === 'step-retry') errors.push(e.error); }],
    });
    expect(r.status).toBe('ok');
    expect(r.outputs.city).toBe('上海');
    expect(r.steps.extract.attempts).toBe(3);
    expect(errors[0]).toContain('not valid JSON');
    expect(errors[1]).toContain('must have required property \'n\'');
    expect(model.calls.every((c) => c.json === true && c.onToken === undefined)).toBe(true);
  });

  it('fails with PROVIDER_BAD_RESPONSE naming the step once retries run out', async () => {
    const model = fakeModel({ reply: () => '{"city": 1}' });
    const p = pipelineOf([{ id: 'extract', kind: 'prompt', retry: { attempts: 2, backoff_ms: 1 }, params: { template: 't', schema } }]);
    const r = await runPipeline(p, {}, { resolveModel: async () => model });
    expect(r.error).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', stepId: 'extract', retryable: true, model: 'fake:m1' });
    expect(r.steps.extract.attempts).toBe(2);
  });

  it('without a model: PROVIDER_NOT_CONFIGURED (exit 1) with a hint on models: and --model', async () => {
    const p = pipelineOf([{ id: 'ask', kind: 'prompt', params: { template: 'hi' } }]);
    const r = await runPipeline(p, {}, { resolveModel: async () => undefined });
    expect(r.error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED', stepId: 'ask' });
    expect(r.error?.hint).toMatch(/models:.*--model openai:NAME.*OPENAI_BASE_URL/s);
    expect(r.steps.ask.attempts).toBe(1);
    expect(exitCodeFor(r.error)).toBe(1);
  });
});

describe('prompt step against an OpenAI-compatible server on 127.0.0.1', () => {
  let server: FakeOpenAI;
  let dir: string;
  const env = { OPENAI_API_KEY: 'test-key' };
  const models = () => ({ default: { provider: 'openai', model: 'test-model', base_url: server.url } });

  beforeAll(async () => {
    server = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'loom-prompt-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const twoAsks = () => {
    const p = pipelineOf(
      [
        { id: 'a', kind: 'prompt', params: { template: 'First question?' } },
        { id: 'b', kind: 'prompt', params: { template: '第二个问题？' } },
      ],
      { a: '{{ steps.a.text }}', b: '{{ steps.b.text }}' },
      {},
      { dir },
    );
    p.spec.models = models();
    return p;
  };

  it('runs two independent model steps at once: both calls are in flight on the server together', async () => {
    await runPipeline(twoAsks(), {}, { env, cache: false }); // warm up: @langchain/openai loads on first use
    server.reset();
    server.setHandler(() => ({ delayMs: 300 }));
    const r = await runPipeline(twoAsks(), {}, { env, cache: false });
    server.setHandler(undefined);
    expect(r.status).toBe('ok');
    expect(r.outputs).toEqual({ a: 'Fake answer: First question?', b: 'Fake answer: 第二个问题？' });
    // proven by the server's count, not by wall time (a busy machine stretches any timing)
    expect(server.maxInFlight).toBe(2);
  });

  it('honours Retry-After from a 429 and streams the final step', async () => {
    server.reset();
    server.enqueue({ status: 429, retryAfter: 1, errorMessage: 'slow down' });
    const p = pipelineOf([{ id: 'ask', kind: 'prompt', params: { template: 'Stream this answer please.' } }], { text: '{{ steps.ask.text }}' }, {}, { dir });
    p.spec.models = models();
    const tokens: string[] = [];
    const t0 = performance.now();
    const r = await runPipeline(p, {}, { env, cache: false, onToken: (t) => tokens.push(t) });
    expect(r.status).toBe('ok');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r.steps.ask.attempts).toBe(2);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe(r.outputs.text);
    expect(r.steps.ask.usage.promptTokens).toBeGreaterThan(0);
  });
});
