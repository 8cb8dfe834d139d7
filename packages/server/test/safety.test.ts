import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';
import { docsStore, postJson, serveOn } from './helpers.js';
import type { RunningServer } from '../src/index.js';

const KEY = 'test-key-0123456789abcdef';
const OTHER = 'test-key-fedcba9876543210';
const ask = (content: string) => ({ model: 'ask', messages: [{ role: 'user', content }] });
let store: Awaited<ReturnType<typeof docsStore>>;
const servers: RunningServer[] = [];

beforeAll(async () => {
  store = await docsStore();
}, 120_000);
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => store?.remove());

async function serve(options: Parameters<typeof serveOn>[1] = {}) {
  const s = await serveOn(store.dir, options);
  servers.push(s);
  return s;
}

describe('keys', () => {
  it('401 without a key or with a wrong one, in OpenAI error shape; the page and probes answer without one', async () => {
    const s = await serve({ apiKeys: [KEY, OTHER] });
    const none = await postJson(`${s.url}/v1/chat/completions`, ask('hi'));
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    const wrong = await postJson(`${s.url}/v1/chat/completions`, ask('hi'), { authorization: `Bearer ${KEY.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.json)).not.toContain(KEY.slice(0, 12));
    const models = await fetch(`${s.url}/v1/models`, { headers: { authorization: `Bearer ${OTHER}` } });
    expect(models.status).toBe(200);
    expect((await fetch(`${s.url}/v1/search?q=retries`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect(s.logs.join('\n')).not.toContain(KEY);
  });

  it('refuses to start on a non-loopback address without keys, unless allowed', async () => {
    await expect(serveOn(store.dir, { host: '0.0.0.0' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(serveOn(store.dir, { apiKeys: ['short'] })).rejects.toMatchObject({ code: 'USAGE' });
    const s = await serve({ host: '0.0.0.0', allowAnonymous: true });
    expect(s.port).toBeGreaterThan(0);
  });

  it('takes keys from LOOM_API_KEYS', async () => {
    const s = await serve({ env: { LOOM_API_KEYS: ` ${KEY} , ${OTHER}` } });
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${s.url}/v1/models`, { headers: { authorization: `Bearer ${OTHER}` } })).status).toBe(200);
  });
});

describe('bad requests get a clear status and message, and the server keeps serving', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await serveOn(store.dir, { bodyLimitBytes: 64 * 1024, maxQuestionChars: 500, maxMessages: 20 });
  });
  afterAll(() => s.close());

  it.each([
    ['malformed JSON', '{"model": "ask", "messages": [', 400, 'invalid_json', null],
    ['an array body', '[]', 400, 'invalid_request', null],
    ['no messages', { model: 'ask' }, 400, 'invalid_request', 'messages'],
    ['empty messages', { model: 'ask', messages: [] }, 400, 'invalid_request', 'messages'],
    ['a number as content', { model: 'ask', messages: [{ role: 'user', content: 42 }] }, 400, 'invalid_request', 'messages[0].content'],
    ['an unknown role', { model: 'ask', messages: [{ role: 'wizard', content: 'hi' }] }, 400, 'invalid_request', 'messages[0].role'],
    ['only a system message', { model: 'ask', messages: [{ role: 'system', content: 'hi' }] }, 400, 'invalid_request', 'messages'],
    ['too many messages', { model: 'ask', messages: Array.from({ length: 21 }, () => ({ role: 'user', content: 'hi' })) }, 400, 'too_many_messages', 'messages'],
    ['a question past the limit', ask('why '.repeat(200)), 400, 'question_too_long', 'messages'],
    ['a body past the limit', ask('x'.repeat(70 * 1024)), 413, 'body_too_large', null],
    ['an unknown model', { model: 'nope', messages: [{ role: 'user', content: 'hi' }] }, 404, 'model_not_found', 'model'],
  ])('%s', async (_name, body, status, code, param) => {
    const r = await postJson(`${s.url}/v1/chat/completions`, body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.param).toBe(param);
    expect(r.json.error.message.length).toBeGreaterThan(5);
    expect(JSON.stringify(r.json)).not.toMatch(/\bat .*\.[jt]s:\d+/);
  });

  it('415 for a body that is not JSON', async () => {
    const r = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'How do I retry?' });
    expect(r.status).toBe(415);
    expect((await r.json()).error.message).toContain('application/json');
  });

  it('404 in the same shape for an unknown route', async () => {
    const r = await fetch(`${s.url}/v2/nothing`);
    expect(r.status).toBe(404);
    expect((await r.json()).error.code).toBe('not_found');
  });

  it('still answers after all of that', async () => {
    const r = await postJson(`${s.url}/v1/chat/completions`, ask('How do I configure fetch retries?'));
    expect(r.status).toBe(200);
  }, 90_000);
});

describe('limits', () => {
  it('rate-limits per key: 429 with Retry-After, other keys unaffected', async () => {
    const s = await serve({ apiKeys: [KEY, OTHER], rateLimitPerMinute: 3 });
    const get = (key: string) => fetch(`${s.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) expect((await get(KEY)).status).toBe(200);
    const limited = await get(KEY);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect((await get(OTHER)).status).toBe(200);
    // a wrong key is refused before it can spend anyone's budget
    expect((await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer wrong-key-wrong-key' } })).status).toBe(401);
  });

  it('bounds runs in flight with a short queue; past it, 503 with Retry-After, and nothing is lost once it drains', async () => {
    const fake: FakeOpenAI = await startFakeOpenAI({ latencyMs: 0 });
    try {
      fake.setHandler(() => ({ fault: 'hang' }));
      const s = await serve({ model: 'openai:fake-model', env: { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-fake-key-fake-key' }, maxRuns: 1, maxQueue: 1, rateLimitPerMinute: 0 });
      const controllers = [new AbortController(), new AbortController()];
      const pending = controllers.map((c) => fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask('How do I configure fetch retries?')), signal: c.signal }).catch(() => undefined));
      await vi.waitFor(() => expect([s.service.gate.running, s.service.gate.queued, fake.inFlight]).toEqual([1, 1, 1]), { timeout: 30_000, interval: 20 });
      const refused = await postJson(`${s.url}/v1/chat/completions`, ask('How do I configure fetch retries?'));
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.json.error.code).toBe('server_busy');
      // the clients leave: the queued one gives its place up, the running one's model call is aborted
      for (const c of controllers) c.abort();
      await Promise.all(pending);
      await vi.waitFor(() => expect([s.service.gate.running, s.service.gate.queued, fake.inFlight]).toEqual([0, 0, 0]), { timeout: 10_000, interval: 20 });
      fake.setHandler(undefined);
      expect((await postJson(`${s.url}/v1/chat/completions`, ask('How do I configure fetch retries?'))).status).toBe(200);
    } finally {
      await fake.close();
    }
  });

  it('closes a connection whose headers never finish (slowloris)', async () => {
    const s = await serve({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    const socket = connect(s.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
    const closed = await new Promise<boolean>((done) => socket.on('close', () => done(true)));
    expect(closed).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408|^$/);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('closes a connection whose body never finishes', async () => {
    const s = await serve({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    const socket = connect(s.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":');
    await new Promise<void>((done) => socket.on('close', () => done()));
    expect(received).toMatch(/^HTTP\/1\.1 408|^$/);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});

describe('CORS', () => {
  it('is off by default and allows exactly the configured origins', async () => {
    const off = await serve();
    const plain = await fetch(`${off.url}/v1/models`, { headers: { origin: 'https://docs.example.org' } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const on = await serve({ corsOrigins: ['https://docs.example.org'] });
    const allowed = await fetch(`${on.url}/v1/models`, { headers: { origin: 'https://docs.example.org' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://docs.example.org');
    const other = await fetch(`${on.url}/v1/models`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${on.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://docs.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(preflight.status).toBeLessThan(300);
  });
});
