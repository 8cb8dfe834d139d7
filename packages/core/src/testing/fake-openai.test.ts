import { afterEach, describe, expect, it } from 'vitest';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { startFakeOpenAI, type FakeOpenAI } from './index.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const chat = (url: string, extra: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-test-123', configuration: { baseURL: url }, maxRetries: 0, ...extra });

describe('fake OpenAI server', () => {
  it('answers chat with usage and records the request with its headers', async () => {
    fake = await startFakeOpenAI({ replies: [{ content: 'Hello there.', usage: { prompt_tokens: 11, completion_tokens: 3 } }] });
    const msg = await chat(fake.url).invoke('hi');
    expect(msg.content).toBe('Hello there.');
    expect(msg.usage_metadata).toMatchObject({ input_tokens: 11, output_tokens: 3 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].headers.authorization).toBe('Bearer sk-test-123');
    expect(fake.requests[0].body.messages[0]).toMatchObject({ role: 'user', content: 'hi' });
  });

  it('streams deltas in order and sends a usage chunk when asked', async () => {
    fake = await startFakeOpenAI({ replies: [{ content: '你好 world, one two', chunkDelayMs: 5 }] });
    const deltas: string[] = [];
    let usage: unknown;
    for await (const chunk of await chat(fake.url, { streamUsage: true }).stream('hi')) {
      if (typeof chunk.content === 'string' && chunk.content) deltas.push(chunk.content);
      if (chunk.usage_metadata) usage = chunk.usage_metadata;
    }
    expect(deltas.join('')).toBe('你好 world, one two');
    expect(deltas.length).toBeGreaterThan(3);
    expect(usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    expect(fake.requests[0].body.stream_options).toEqual({ include_usage: true });
  });

  it('cuts a stream mid-way so the client sees an error', async () => {
    fake = await startFakeOpenAI({ replies: [{ fault: 'stream-cut', content: 'a b c d e f', cutAfterChunks: 2 }] });
    const got: string[] = [];
    const consume = async () => {
      for await (const chunk of await chat(fake!.url).stream('hi')) got.push(String(chunk.content));
    };
    await expect(consume()).rejects.toThrow();
    expect(got.join('')).toBe('a b ');
  });

  it.each([
    [{ status: 429, retryAfter: 3 }, 429, '3'],
    [{ status: 503 }, 503, null],
  ])('sends error statuses with headers: %j', async (reply, status, retryAfter) => {
    fake = await startFakeOpenAI({ replies: [reply] });
    const res = await fetch(`${fake.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(res.status).toBe(status);
    expect(res.headers.get('retry-after')).toBe(retryAfter);
    expect((await res.json()).error.message).toContain(String(status));
  });

  it('resets, truncates and hangs on request', async () => {
    fake = await startFakeOpenAI({ replies: [{ fault: 'reset' }, { fault: 'truncated-json' }, { fault: 'hang' }] });
    const post = (signal?: AbortSignal) => fetch(`${fake!.url}/chat/completions`, { method: 'POST', body: '{}', signal });
    await expect(post()).rejects.toThrow();
    const truncated = await post();
    await expect(truncated.json()).rejects.toThrow(SyntaxError);
    // a hang never answers: only the client's timeout can end this request
    await expect(post(AbortSignal.timeout(150))).rejects.toThrow();
  });

  it('gives the default answer citing [1] for numbered passages, and falls back to the handler', async () => {
    fake = await startFakeOpenAI({ handler: (req) => (req.body.messages.length > 1 ? 'from handler' : undefined) });
    const first = await chat(fake.url).invoke('Passages:\n[1] Retries use exponential backoff. More text.\n[2] Other.\nQuestion: how?');
    expect(first.content).toBe('Retries use exponential backoff. [1]');
    const second = await chat(fake.url).invoke([['system', 's'], ['user', 'u']]);
    expect(second.content).toBe('from handler');
  });

  it('embeds deterministically with the requested dimension and counts concurrency', async () => {
    fake = await startFakeOpenAI({ embeddingDimensions: 16, latencyMs: 50 });
    const emb = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'sk-x', configuration: { baseURL: fake.url }, maxRetries: 0, batchSize: 2 });
    const [a, b, c] = await emb.embedDocuments(['alpha', 'beta', 'alpha']);
    expect(a).toHaveLength(16);
    expect(a).toEqual(c);
    expect(a).not.toEqual(b);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(fake.requestsTo('embeddings')).toHaveLength(2);
    expect(fake.maxInFlight).toBe(2);
    const models = await (await fetch(`${fake.url}/models`)).json();
    expect(models.data[0].id).toBe('fake-model');
  });

  it('closes with connections still open', async () => {
    fake = await startFakeOpenAI({ replies: [{ fault: 'hang' }] });
    const pending = fetch(`${fake.url}/chat/completions`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    // close() that waited for the hanging connection would never return within the test's limit
    await fake.close();
    fake = undefined;
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('fake OpenAI server under load', () => {
  it('streams many delayed chunks without piling up listeners, and serves concurrent requests in parallel', async () => {
    fake = await startFakeOpenAI({ latencyMs: 200 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      fake.enqueue({ content: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), chunkDelayMs: 1, delayMs: 0 });
      let streamed = '';
      for await (const chunk of await chat(fake.url).stream('many chunks')) streamed += String(chunk.content);
      expect(streamed.split(' ')).toHaveLength(40);
      await Promise.all(Array.from({ length: 8 }, (_, i) => chat(fake!.url).invoke(`q${i}`)));
      expect(fake.maxInFlight).toBe(8); // all eight overlapped on the server
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
