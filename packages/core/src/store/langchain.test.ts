import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document } from '@langchain/core/documents';
import { index } from '@langchain/core/indexing';
import { InMemoryRecordManager } from '@langchain/community/indexes/memory';
import { LoomVectorStore } from './langchain.js';
import { LocalEmbeddings } from '../embeddings/index.js';
import { ingest } from '../ingest/index.js';
import { openStore } from './index.js';

/**
 * LangChain's InMemoryRecordManager stamps records with Date.now() and cleans up those stamped
 * <= the run's start: with a store this fast, two runs inside one millisecond would delete what
 * the second run just skipped. A strictly increasing clock keeps the test about the store.
 */
class MonotonicRecordManager extends InMemoryRecordManager {
  private t = Date.now();
  async getTime(): Promise<number> {
    return ++this.t;
  }
}

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'loom-lc-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const embeddings = new LocalEmbeddings({ dimensions: 128 });
const docs = [
  new Document({ pageContent: 'Workers retry a failed job with exponential backoff.', metadata: { source: 'guide/retries.md', tags: ['errors'] } }),
  new Document({ pageContent: 'Schedule recurring jobs with a cron expression.', metadata: { source: 'guide/cron.md' } }),
  new Document({ pageContent: '限流器使用令牌桶算法控制任务速率。', metadata: { source: 'zh/rate-limit.md' } }),
];

describe('LoomVectorStore', () => {
  it('adds with ids (upsert), searches with filters, MMR and as a retriever, deletes', async () => {
    const vs = await LoomVectorStore.open(dir, embeddings);
    expect(await vs.addDocuments(docs, { ids: ['a', 'b', 'c'] })).toEqual(['a', 'b', 'c']);
    const [[top, score]] = await vs.similaritySearchWithScore('retry failed job backoff', 1);
    expect(top).toMatchObject({ id: 'a', pageContent: docs[0].pageContent, metadata: { source: 'guide/retries.md', lang: 'en' } });
    expect(score).toBeGreaterThan(0.3);
    expect((await vs.similaritySearch('jobs', 3, { lang: 'zh' })).map((d) => d.id)).toEqual(['c']);
    expect((await vs.similaritySearch('jobs', 3, { source: 'guide/**' })).map((d) => d.id).sort()).toEqual(['a', 'b']);
    expect((await vs.similaritySearch('jobs', 3, { tag: 'errors' })).map((d) => d.id)).toEqual(['a']);

    // same id again: replaced, not duplicated
    await vs.addDocuments([new Document({ pageContent: 'Cron schedules run in UTC unless a timezone is set.', metadata: { source: 'guide/cron.md' } })], { ids: ['b'] });
    expect((await vs.store.info()).chunks).toBe(3);
    expect((await vs.similaritySearch('timezone UTC', 1))[0]).toMatchObject({ id: 'b', pageContent: expect.stringContaining('UTC') });

    const mmr = await vs.maxMarginalRelevanceSearch('jobs', { k: 2, fetchK: 3 });
    expect(mmr).toHaveLength(2);
    const viaRetriever = await vs.asRetriever({ k: 1, filter: { source: 'zh/**' } }).invoke('令牌桶');
    expect(viaRetriever[0].id).toBe('c');

    await vs.delete({ ids: ['a'] });
    expect((await vs.store.info()).sources).toBe(2);
    expect((await vs.similaritySearch('retry backoff', 3)).map((d) => d.id)).not.toContain('a');
    await vs.close();

    // what LangChain wrote is a normal store: loom's hybrid search and check see it
    const store = await openStore(dir);
    expect((await store.check()).ok).toBe(true);
    expect((await store.search('令牌桶', { k: 1 }))[0]).toMatchObject({ id: 'c', source: 'zh/rate-limit.md', lang: 'zh' });
    store.close();
  });

  it('syncs documents with LangChain index() and a record manager: add, change, delete', async () => {
    const vs = await LoomVectorStore.open(dir, embeddings);
    const recordManager = new MonotonicRecordManager();
    await recordManager.createSchema();
    const run = (documents: Document[]) => index({ docsSource: documents, recordManager, vectorStore: vs, options: { cleanup: 'full' } });

    expect(await run(docs)).toMatchObject({ numAdded: 3, numDeleted: 0, numSkipped: 0 });
    expect(await run(docs)).toMatchObject({ numAdded: 0, numDeleted: 0, numSkipped: 3 });
    const changed = [docs[0], new Document({ pageContent: 'Cron jobs can be paused and resumed.', metadata: { source: 'guide/cron.md' } }), docs[2]];
    expect(await run(changed)).toMatchObject({ numAdded: 1, numDeleted: 1, numSkipped: 2 });
    expect(await run([docs[0]])).toMatchObject({ numDeleted: 2 });
    expect((await vs.store.info())).toMatchObject({ sources: 1, chunks: 1 });
    expect((await vs.similaritySearch('anything', 5)).map((d) => d.pageContent)).toEqual([docs[0].pageContent]);
    expect((await vs.store.check()).ok).toBe(true);
    await vs.close();
  });

  it('opens a store built by loom ingest with the same local embeddings', async () => {
    await ingest({ paths: [fileURLToPath(new URL('../../test/fixtures/docs/en', import.meta.url))], store: dir });
    const vs = await LoomVectorStore.open(dir, new LocalEmbeddings());
    const [doc] = await vs.similaritySearch('graceful shutdown of a worker', 1);
    expect(doc.metadata).toMatchObject({ source: 'api/worker.md', heading: 'Worker API > Graceful shutdown' });
    await vs.close();
    await expect(LoomVectorStore.open(dir, new LocalEmbeddings({ dimensions: 64 }))).rejects.toMatchObject({ code: 'STORE_EMBEDDER_MISMATCH' });
  });

  it('stores precomputed vectors with embeddings that only declare their dimension', async () => {
    const { Embeddings } = await import('@langchain/core/embeddings');
    class Precomputed extends Embeddings {
      readonly dimensions = 3;
      constructor() { super({}); }
      async embedDocuments(): Promise<number[][]> { throw new Error('vectors are given'); }
      async embedQuery(): Promise<number[]> { throw new Error('vectors are given'); }
    }
    const vs = await LoomVectorStore.open(dir, new Precomputed());
    await vs.addVectors([[1, 0, 0], [0, 1, 0]], [new Document({ pageContent: 'x axis' }), new Document({ pageContent: 'y axis' })], { ids: ['x', 'y'] });
    const [[doc, score]] = await vs.similaritySearchVectorWithScore([0.1, 0.9, 0], 1);
    expect(doc.id).toBe('y');
    expect(score).toBeCloseTo(0.9 / Math.hypot(0.1, 0.9), 5);
    // vectors of another length are refused by the same check ingest has; nothing is written
    await expect(vs.addVectors([[1, 0]], [new Document({ pageContent: 'flat' })], { ids: ['z'] })).rejects.toMatchObject({ code: 'STORE_EMBEDDER_MISMATCH' });
    expect((await vs.store.info()).chunks).toBe(2);
    expect((await vs.store.check()).ok).toBe(true);
    await vs.close();
  });

  it('fromTexts creates a store', async () => {
    const vs = await LoomVectorStore.fromTexts(['alpha beta', 'gamma delta'], [{ source: 'x' }, { source: 'y' }], embeddings, { dir });
    expect((await vs.similaritySearch('gamma', 1))[0].metadata.source).toBe('y');
    await vs.close();
  });

  it('fromTexts and fromDocuments take the folder as `directory` (as HNSWLib and Faiss save/load do); load() reopens it', async () => {
    const vs = await LoomVectorStore.fromTexts(['alpha beta', 'gamma delta'], [{ source: 'x' }, { source: 'y' }], embeddings, { directory: dir });
    await vs.close();
    const again = await LoomVectorStore.load(dir, embeddings);
    expect((await again.store.info()).chunks).toBe(2);
    await again.close();
  });

  it('fromTexts without a folder says which key it expects', async () => {
    await expect(LoomVectorStore.fromTexts(['a'], [{}], embeddings, {} as never)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('directory') });
  });
});

describe('LoomVectorStore filters', () => {
  // 40 documents in 10 buckets; every 4th is flagged; bucket 7's text is not the closest to the query
  const bucketDocs = Array.from({ length: 40 }, (_, i) => new Document({
    pageContent: i % 10 === 7 ? `Unrelated note number ${i} about gardening.` : `Queue workers process jobs, item ${i}.`,
    metadata: { source: `b/${i}.md`, bucket: i % 10, flagged: i % 4 === 0, label: `L${i % 10}` },
  }));
  const ids = bucketDocs.map((_, i) => `d${i}`);

  async function filled(): Promise<LoomVectorStore> {
    const vs = await LoomVectorStore.open(dir, embeddings);
    await vs.addDocuments(bucketDocs, { ids });
    return vs;
  }

  it('honours a function filter (doc) => boolean, as HNSWLib and MemoryVectorStore take', async () => {
    const vs = await filled();
    const hits = await vs.similaritySearch('queue workers jobs', 2, (d) => d.metadata.bucket === 7);
    expect(hits).toHaveLength(2);
    expect(hits.map((d) => d.metadata.bucket)).toEqual([7, 7]);
    // the predicate sees the document as a search returns it: id, text and metadata
    const byId = await vs.similaritySearch('anything', 5, (d) => d.id === 'd13');
    expect(byId.map((d) => d.id)).toEqual(['d13']);
    expect(await vs.similaritySearch('queue', 3, () => false)).toEqual([]);
    const mmr = await vs.maxMarginalRelevanceSearch('queue workers', { k: 3, fetchK: 10, filter: (d) => d.metadata.flagged === true });
    expect(mmr).toHaveLength(3);
    expect(mmr.every((d) => d.metadata.flagged === true)).toBe(true);
    const viaRetriever = await vs.asRetriever({ k: 4, filter: (d) => (d.metadata.bucket as number) < 2 }).invoke('queue workers');
    expect(viaRetriever).toHaveLength(4);
    expect(viaRetriever.every((d) => (d.metadata.bucket as number) < 2)).toBe(true);
    await vs.close();
  });

  it('matches typed values: numbers, booleans, arrays as any of', async () => {
    const vs = await filled();
    const buckets = async (filter: Record<string, unknown>, k = 10) => (await vs.similaritySearch('queue workers jobs', k, filter as never)).map((d) => d.metadata.bucket);
    expect(await buckets({ bucket: 7 }, 2)).toEqual([7, 7]);
    expect(new Set(await buckets({ bucket: [3, 7] }))).toEqual(new Set([3, 7]));
    const flagged = await vs.similaritySearch('queue workers jobs', 40, { flagged: true });
    expect(flagged).toHaveLength(10);
    expect((await vs.similaritySearch('queue workers jobs', 40, { flagged: false }))).toHaveLength(30);
    expect(await buckets({ bucket: 6, flagged: true }, 40)).toEqual([6, 6]); // d16, d36
    expect(await buckets({ bucket: 7, flagged: true }, 40)).toEqual([]);
    expect(new Set(await buckets({ label: ['L1', 'L2'] }, 40))).toEqual(new Set([1, 2]));
    // a number matches the number, not a string that looks like it
    expect(await vs.similaritySearch('queue', 5, { label: 1 } as never)).toEqual([]);
    expect(await vs.similaritySearch('queue', 5, { bucket: [] } as never)).toEqual([]);
    await vs.close();
  });

  it.each([
    ['an operator object', { bucket: { $gt: 5 } }],
    ['null', { bucket: null }],
    ['an array holding an object', { bucket: [1, { a: 2 }] }],
    ['undefined', { bucket: undefined }],
  ])('refuses a filter it cannot apply (%s) instead of ignoring it', async (_what, filter) => {
    const vs = await filled();
    await expect(vs.similaritySearch('queue', 3, filter as never)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('bucket') });
    await vs.close();
  });
});
