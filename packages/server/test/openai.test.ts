import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { ChatOpenAI } from '@langchain/openai';
import { docsStore, serveOn, warmUp } from './helpers.js';
import type { RunningServer } from '../src/index.js';

const QUESTION = 'How do I configure retries for feeds that fail to fetch?';
let store: Awaited<ReturnType<typeof docsStore>>;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  store = await docsStore();
  server = await serveOn(store.dir);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  await warmUp(server.url);
}, 120_000);
afterAll(async () => {
  await server?.close();
  store?.remove();
});

describe('OpenAI-compatible API, offline (extractive answers), through the official openai client', () => {
  it('lists the pipelines that answer a question as models', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['ask', 'bilingual-answer', 'faq']));
    // a pipeline that needs more than a question (a document to translate) is not a chat model
    expect(ids).not.toContain('translate-doc');
  });

  it('answers a question with [n] markers, structured citations and usage', async () => {
    const completion = await client.chat.completions.create({ model: 'ask', messages: [{ role: 'user', content: QUESTION }] });
    const message = completion.choices[0].message as typeof completion.choices[0]['message'] & { citations: { n: number; source: string; heading: string }[] };
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(message.content).toContain('fetch.retry');
    expect(message.content).toMatch(/\[\d+\]/);
    expect(message.citations.map((c) => c.source)).toContain('en/guide/fetch-retries.md');
    for (const c of message.citations) expect(message.content).toContain(`[${c.n}]`);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(10);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('streams the same answer as chunks, citations on the final chunk, usage last, then [DONE]', async () => {
    const whole = await client.chat.completions.create({ model: 'ask', messages: [{ role: 'user', content: QUESTION }] });
    const stream = await client.chat.completions.create({ model: 'ask', messages: [{ role: 'user', content: QUESTION }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe(whole.choices[0].message.content);
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThan(2);
    const final = chunks.find((c) => c.choices[0]?.finish_reason === 'stop') as unknown as { citations: { source: string }[] };
    expect(final.citations.map((c) => c.source)).toContain('en/guide/fetch-retries.md');
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage!.total_tokens).toBe(whole.usage!.total_tokens);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('answers a Chinese question in Chinese from the Chinese pages', async () => {
    const completion = await client.chat.completions.create({ model: 'ask', messages: [{ role: 'user', content: 'Webhook 请求的签名怎么验证？' }] });
    const message = completion.choices[0].message as unknown as { content: string; citations: { source: string }[] };
    expect(message.content).toMatch(/[\u4e00-\u9fff]/);
    expect(message.citations.some((c) => c.source.startsWith('zh/'))).toBe(true);
  });

  it('offline, the last user message is the question; earlier turns are not mixed in', async () => {
    const completion = await client.chat.completions.create({
      model: 'ask',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'What is the airspeed velocity of an unladen swallow?' },
        { role: 'assistant', content: "I can't answer that." },
        { role: 'user', content: QUESTION },
      ],
    });
    expect(completion.choices[0].message.content).toContain('fetch.retry');
    expect((completion as unknown as { loom: { question: string } }).loom.question).toBe(QUESTION);
  });

  it('refuses, with no citations, what the docs do not say', async () => {
    const completion = await client.chat.completions.create({ model: 'ask', messages: [{ role: 'user', content: 'What is the capital of France?' }] });
    const message = completion.choices[0].message as unknown as { citations: unknown[] };
    expect(message.citations).toEqual([]);
    expect((completion as unknown as { loom: { grounded: boolean } }).loom.grounded).toBe(false);
  });

  it('answers an unknown model with 404 in OpenAI error shape, naming the models there are', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const e = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.code).toBe('model_not_found');
    expect(e.message).toContain('ask');
  });
});

describe('LangChain ChatOpenAI pointed at the server', () => {
  it('invokes and streams', async () => {
    const chat = new ChatOpenAI({ model: 'ask', apiKey: 'unused', configuration: { baseURL: `${server.url}/v1` }, maxRetries: 0 });
    const reply = await chat.invoke(QUESTION);
    expect(String(reply.content)).toContain('fetch.retry');
    let streamed = '';
    let pieces = 0;
    for await (const chunk of await chat.stream(QUESTION)) {
      streamed += String(chunk.content);
      pieces++;
    }
    expect(streamed).toBe(String(reply.content));
    expect(pieces).toBeGreaterThan(2);
  });
});
