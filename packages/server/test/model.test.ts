import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI, lastUserMessage, allMessagesText, type FakeOpenAI } from '@promptloom/core/testing';
import { docsStore, serveOn, warmUp } from './helpers.js';
import type { RunningServer } from '../src/index.js';

const REWRITTEN = 'How do I configure retries for feeds that fail to fetch? Answer in Chinese.';
let store: Awaited<ReturnType<typeof docsStore>>;
let fake: FakeOpenAI;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  store = await docsStore();
  fake = await startFakeOpenAI({ latencyMs: 20 });
  server = await serveOn(store.dir, { model: 'openai:fake-model', env: { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-key-for-the-fake' } });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  await warmUp(server.url);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await fake?.close();
  store?.remove();
});

const conversation = [
  { role: 'user' as const, content: 'How do I configure retries for feeds that fail to fetch?' },
  { role: 'assistant' as const, content: 'Retries are configured in the fetch.retry section of tidewren.yaml. [1]' },
  { role: 'user' as const, content: 'and in Chinese?' },
];

describe('with a model configured (the fake OpenAI server)', () => {
  it('rewrites a follow-up into a standalone question before retrieval, and generates a cited answer', async () => {
    fake.reset();
    fake.setHandler((req) => (allMessagesText(req).includes('Standalone question:') ? REWRITTEN : undefined));
    const completion = await client.chat.completions.create({ model: 'ask', messages: conversation });
    const chats = fake.requestsTo('chat');
    expect(chats).toHaveLength(2);
    // the rewrite saw the earlier turns; the answer was asked the rewritten question
    expect(allMessagesText(chats[0])).toContain('fetch.retry section');
    expect(lastUserMessage(chats[0])).toContain('and in Chinese?');
    expect(allMessagesText(chats[1])).toContain(REWRITTEN);
    expect(allMessagesText(chats[1])).toContain('fetch-retries');
    const body = completion as unknown as { loom: { question: string; extractive: boolean }; choices: { message: { content: string; citations: { source: string }[] } }[] };
    expect(body.loom).toMatchObject({ question: REWRITTEN, extractive: false });
    expect(body.choices[0].message.content).toMatch(/\[1\]/);
    expect(body.choices[0].message.citations.length).toBeGreaterThan(0);
    // usage covers both calls: the rewrite's prompt alone holds the earlier turns
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(allMessagesText(chats[0]).length / 8);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('a single question is not rewritten (one model call)', async () => {
    fake.reset();
    fake.setHandler(undefined);
    await client.chat.completions.create({ model: 'ask', messages: [conversation[0]] });
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('streams the model tokens as they arrive', async () => {
    fake.reset();
    fake.setHandler(() => ({ content: 'Set fetch.retry.max_attempts in tidewren.yaml to change how often a feed is retried [1].' }));
    const stream = await client.chat.completions.create({ model: 'ask', messages: [conversation[0]], stream: true, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) deltas.push(chunk.choices[0].delta.content);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toContain('fetch.retry.max_attempts');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('maps a model-server failure to an OpenAI-style error object without leaking the key', async () => {
    fake.reset();
    fake.setHandler(() => ({ status: 401, errorMessage: 'bad key sk-test-key-for-the-fake' }));
    const error = (await client.chat.completions.create({ model: 'ask', messages: [conversation[0]] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(502);
    expect(error.code).toBe('provider_auth');
    expect(JSON.stringify(error.error)).not.toContain('sk-test-key-for-the-fake');
    expect(JSON.stringify(error.error)).not.toMatch(/\bat .*\.js:\d+/);
    fake.setHandler(undefined);
  });

  it('a client that disconnects mid-stream cancels the run and aborts the model call', async () => {
    fake.reset();
    fake.setHandler(() => ({ fault: 'hang' }));
    const body = JSON.stringify({ model: 'ask', stream: true, messages: [conversation[0]] });
    const req = httpRequest(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    let received = '';
    req.on('response', (res) => res.on('data', (c: Buffer) => (received += c.toString())));
    req.on('error', () => undefined);
    req.end(body);
    await vi.waitFor(() => expect(fake.inFlight).toBe(1), { timeout: 20_000, interval: 20 });
    expect(server.service.gate.running).toBe(1);
    expect(received).toContain('"role":"assistant"');
    req.destroy();
    await vi.waitFor(() => expect(fake.inFlight).toBe(0), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(server.service.gate.running).toBe(0), { timeout: 10_000, interval: 20 });
    fake.setHandler(undefined);
    // and the server keeps serving
    const after = await client.chat.completions.create({ model: 'ask', messages: [conversation[0]] });
    expect(after.choices[0].message.content).toBeTruthy();
  });
});
