import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, fakeEmbedding, type FakeOpenAI } from '../testing/index.js';
import { createOpenAIEmbedder } from './openai.js';

let fake: FakeOpenAI;
beforeAll(async () => { fake = await startFakeOpenAI({ embeddingDimensions: 24 }); });
afterAll(async () => { await fake.close(); });
beforeEach(() => fake.reset());

const env = () => ({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-embed-key-0000000' });

describe('createOpenAIEmbedder against the fake server', () => {
  it('batches, bounds concurrency and keeps input order', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => (i % 2 ? `文档 ${i}` : `doc ${i}`));
    const embedder = await createOpenAIEmbedder('text-embedding-3-small@24', env(), { batchSize: 50, concurrency: 2 });
    fake.reset();
    fake.setHandler(() => ({ delayMs: 30 }));
    const vectors = await embedder.embedMany(texts);
    fake.setHandler(undefined);
    expect(embedder).toMatchObject({ id: 'openai:text-embedding-3-small:24', dimensions: 24 });
    expect(vectors).toHaveLength(300);
    expect(vectors[7]).toBeInstanceOf(Float32Array);
    expect(Array.from(vectors[7])).toEqual(Array.from(Float32Array.from(fakeEmbedding(texts[7], 24))));
    const requests = fake.requestsTo('embeddings');
    expect(requests.map((r) => r.body.input.length)).toEqual([50, 50, 50, 50, 50, 50]);
    expect(requests[0].body.dimensions).toBe(24);
    expect(fake.maxInFlight).toBe(2);
  });

  it('finds the dimension of an unknown model with one probe and works as LangChain Embeddings', async () => {
    const embedder = await createOpenAIEmbedder('nomic-embed-text:latest', env());
    expect(embedder.dimensions).toBe(24);
    expect(embedder.id).toBe('openai:nomic-embed-text:latest:24');
    const [a, b] = await embedder.embeddings.embedDocuments(['same', 'same']);
    expect(a).toEqual(b);
    expect(await embedder.embeddings.embedQuery('same')).toEqual(a);
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    const embedder = await createOpenAIEmbedder('text-embedding-3-small@8', env(), { backoffMs: 10 });
    fake.enqueue({ for: 'embeddings', status: 429, retryAfter: 1 });
    const t0 = Date.now();
    const [v] = await embedder.embedMany(['hello']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(v).toHaveLength(8);
    expect(fake.requestsTo('embeddings')).toHaveLength(2);
  });

  it('gives up after its attempts on a server that always fails, naming the model', async () => {
    const embedder = await createOpenAIEmbedder('text-embedding-3-small@8', env(), { backoffMs: 10, attempts: 3 });
    fake.setHandler(() => ({ status: 503, errorMessage: 'no capacity' }));
    await expect(embedder.embedMany(['x'])).rejects.toMatchObject({
      code: 'PROVIDER_SERVER_ERROR', message: expect.stringMatching(/openai:text-embedding-3-small.*503 no capacity/),
    });
    fake.setHandler(undefined);
    expect(fake.requestsTo('embeddings')).toHaveLength(3);
  });

  it('caps each backoff wait (the engine\'s retry: full jitter under max_backoff)', async () => {
    // a one-hour first backoff: only the 50 ms cap lets the second attempt happen in this test
    const embedder = await createOpenAIEmbedder('text-embedding-3-small@8', env(), { backoffMs: 3_600_000, maxRetryAfterMs: 50, attempts: 2 });
    fake.enqueue({ for: 'embeddings', status: 500 });
    const [v] = await embedder.embedMany(['capped']);
    expect(v).toHaveLength(8);
    expect(fake.requestsTo('embeddings')).toHaveLength(2);
  });

  it('does not retry what cannot succeed (401) and stops on abort', async () => {
    // a 60 s backoff: only the abort can end the retry wait within the test's limit
    const embedder = await createOpenAIEmbedder('text-embedding-3-small@8', env(), { backoffMs: 60_000 });
    fake.enqueue({ for: 'embeddings', status: 401 });
    await expect(embedder.embedMany(['x'])).rejects.toMatchObject({ code: 'PROVIDER_AUTH' });
    expect(fake.requestsTo('embeddings')).toHaveLength(1);
    fake.enqueue({ for: 'embeddings', status: 500 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(embedder.embedMany(['y'], controller.signal)).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    expect(fake.requestsTo('embeddings')).toHaveLength(2);
  });
});
