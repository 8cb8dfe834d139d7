import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/index.js';
import { pipelineWithModels } from '../testing/pipelines.js';
import { LoomError } from '../errors.js';
import { resolveModel } from './resolve.js';
import type { ModelHandle } from './types.js';

const KEY = 'sk-proj-SECRETKEY1234567890';
let fake: FakeOpenAI;

beforeAll(async () => { fake = await startFakeOpenAI(); });
afterAll(async () => { await fake.close(); });
beforeEach(() => { fake.reset(); fake.setHandler(undefined); });

async function handle(extra: Record<string, unknown> = {}): Promise<ModelHandle> {
  const p = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', api_key_env: 'MY_KEY', ...extra } });
  return (await resolveModel(undefined, p, { env: { MY_KEY: KEY, OPENAI_BASE_URL: fake.url }, cache: false }))!;
}

async function failure(promise: Promise<unknown>): Promise<LoomError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LoomError);
    expect(String((error as Error).message)).not.toContain(KEY);
    return error as LoomError;
  }
  throw new Error('expected the call to fail');
}

const ask = { messages: [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'What is promptloom?' }] };

describe('openai provider through @langchain/openai against the fake server', () => {
  it('answers with the provider usage, latency and cost, sending the key only as Authorization', async () => {
    fake.enqueue({ content: 'A prompt workflow tool.', usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    const result = await (await handle({ price: { input: 0.15, output: 0.6 } })).call(ask);
    expect(result).toMatchObject({ text: 'A prompt workflow tool.', cached: false, model: 'openai:gpt-4o-mini' });
    expect(result.usage).toEqual({ promptTokens: 1000, completionTokens: 500, estimated: false });
    expect(result.costUsd).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1e6, 12);
    expect(result.latencyMs).toBeGreaterThan(0);
    const req = fake.requests[0];
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.rawBody).not.toContain(KEY);
    expect(req.body.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is promptloom?' }]);
  });

  it('estimates usage with the tokenizer when the server sends none, and a local server costs 0', async () => {
    fake.enqueue({ content: 'Short answer here.', usage: false });
    const result = await (await handle()).call(ask);
    expect(result.usage.estimated).toBe(true);
    expect(result.usage.completionTokens).toBe(4); // o200k: "Short", " answer", " here", "."
    expect(result.usage.promptTokens).toBeGreaterThan(8);
    expect(result.costUsd).toBe(0);
  });

  it('streams tokens in order with usage from the stream', async () => {
    fake.enqueue({ content: '检索 then answer with citations [1].', chunkDelayMs: 10 });
    const deltas: string[] = [];
    const result = await (await handle()).call({ ...ask, onToken: (d) => deltas.push(d) });
    expect(deltas.length).toBeGreaterThan(4);
    expect(deltas.join('')).toBe('检索 then answer with citations [1].');
    expect(result.text).toBe(deltas.join(''));
    expect(result.usage.estimated).toBe(false);
    expect(fake.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('a stream cut mid-way is a retryable PROVIDER_BAD_RESPONSE, never a partial answer', async () => {
    fake.enqueue({ fault: 'stream-cut', content: 'one two three four five', cutAfterChunks: 2 });
    const deltas: string[] = [];
    const err = await failure((await handle()).call({ ...ask, onToken: (d) => deltas.push(d) }));
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/openai:gpt-4o-mini.*stream broke.*discarded/);
    expect(deltas.join('')).toBe('one two ');
    expect(err.message).toContain(`at ${fake.url}`);
  });

  it('a stream cut before any text arrived is a bad response too, not "check the server is running"', async () => {
    // the stream starts (an empty first delta), then the socket dies: the server answered, so it is not unavailable
    fake.enqueue({ fault: 'stream-cut', chunks: ['', 'one ', 'two'], cutAfterChunks: 1 });
    const err = await failure((await handle()).call({ ...ask, onToken: () => {} }));
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
    expect(err.message).toContain(`at ${fake.url}`);
    expect(err.hint ?? '').not.toMatch(/running/);
  });

  it('a stream that ends cleanly without a finish is an error too', async () => {
    fake.enqueue({ fault: 'stream-cut', content: 'one two', cutAfterChunks: 99 });
    const err = await failure((await handle()).call({ ...ask, onToken: () => {} }));
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
  });

  it.each([
    ['seconds', 2, 2000],
    ['HTTP date', 'date', 3000],
  ])('429 with Retry-After in %s carries retryAfterMs', async (_form, value, expected) => {
    const retryAfter = value === 'date' ? new Date(Date.now() + 3000).toUTCString() : value;
    fake.enqueue({ status: 429, retryAfter, errorMessage: 'Rate limit reached for gpt-4o-mini' });
    const err = await failure((await handle()).call(ask));
    expect(err.code).toBe('PROVIDER_RATE_LIMIT');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(expected - 1100); // HTTP dates have 1 s resolution
    expect(err.retryAfterMs).toBeLessThanOrEqual(expected);
    expect(err.message).toContain('Rate limit reached for gpt-4o-mini');
    expect(err.model).toBe('openai:gpt-4o-mini');
    expect(fake.requests).toHaveLength(1); // one attempt: the client does not retry on its own
  });

  it('429 without Retry-After is retryable with no delay hint', async () => {
    fake.enqueue({ status: 429 });
    const err = await failure((await handle()).call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_RATE_LIMIT', retryable: true, retryAfterMs: undefined });
  });

  it.each([500, 502, 503])('%i is a retryable PROVIDER_SERVER_ERROR after exactly one request', async (status) => {
    fake.enqueue({ status, errorMessage: 'upstream overloaded' });
    const err = await failure((await handle()).call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_SERVER_ERROR', retryable: true });
    expect(err.message).toContain(`${status} upstream overloaded`);
    expect(fake.requests).toHaveLength(1);
  });

  it('a connection reset is a retryable PROVIDER_UNAVAILABLE', async () => {
    fake.enqueue({ fault: 'reset' });
    const err = await failure((await handle()).call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
  });

  it('401 is PROVIDER_AUTH, not retryable, and the key in the server message is redacted', async () => {
    fake.enqueue({ status: 401, errorMessage: `Incorrect API key provided: ${KEY}` });
    const err = await failure((await handle()).call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
    expect(err.message).toContain('Incorrect API key provided');
    expect(JSON.stringify({ m: err.message, h: err.hint, c: String((err as { cause?: unknown }).cause) })).not.toContain(KEY);
  });

  it('truncated JSON is a retryable PROVIDER_BAD_RESPONSE', async () => {
    fake.enqueue({ fault: 'truncated-json', content: 'this answer will be cut in half' });
    const err = await failure((await handle()).call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', retryable: true });
  });

  it('a call past its AbortSignal timeout aborts quickly', async () => {
    // 60 s: only the abort can end the call within the test's limit
    fake.enqueue({ delayMs: 60_000, content: 'too late' });
    const err = await failure((await handle()).call({ ...ask, signal: AbortSignal.timeout(200) }));
    expect(err.code).toBe('RUN_TIMEOUT');
  });

  it('a dead server fails with one attempt', async () => {
    const dead = await startFakeOpenAI();
    const url = dead.url;
    await dead.close();
    const p = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', base_url: url } });
    const err = await failure((await resolveModel(undefined, p, { env: {}, cache: false }))!.call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(err.hint).toMatch(/base_url/);
  });

  it('asks for JSON mode and passes temperature and max_tokens', async () => {
    fake.enqueue({ content: '{"ok":true}' });
    const result = await (await handle({ temperature: 0.2 })).call({ ...ask, json: true, maxTokens: 50 });
    expect(JSON.parse(result.text)).toEqual({ ok: true });
    expect(fake.requests[0].body).toMatchObject({ response_format: { type: 'json_object' }, temperature: 0.2, max_tokens: 50 });
  });

  it('without a key for api.openai.com says which variable to set', async () => {
    const p = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini' } });
    const err = await failure((await resolveModel(undefined, p, { env: {} }))!.call(ask));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
    expect(err.message).toContain('OPENAI_API_KEY');
  });
});
