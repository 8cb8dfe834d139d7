import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, sqliteOf, type LoomStore } from './index.js';
import { chunkUid, embeddingInput, ftsFields, inputHash } from './records.js';
import type { ChunkRecord, SourceRecord } from './backend.js';
import { localEmbedder } from '../embeddings/index.js';
import { isLoomError } from '../errors.js';
import { tryLock } from './lock.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'loom-store-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const emb = localEmbedder(64);

async function doc(store: LoomStore, path: string, title: string, sections: [string, string][], tags: string[] = []): Promise<number> {
  const source: SourceRecord = { file: `/docs/${path}`, path: `/docs/${path}`, name: path, hash: inputHash(JSON.stringify(sections)), size: 1, mtimeMs: 0, lang: 'en', title, meta: { tags }, tags };
  const inputs = sections.map(([h, t]) => embeddingInput(title, h, t));
  const vectors = await store.embedMany(inputs);
  const chunks: ChunkRecord[] = sections.map(([heading, text], i) => {
    const textHash = inputHash(inputs[i]);
    return { uid: chunkUid(source.path, textHash, 0), ord: i, heading, text, start: 0, end: text.length, lang: /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en', textHash, vector: vectors[i], fts: ftsFields(title, heading, text) };
  });
  return store.backend.upsert(source, chunks);
}

describe('store layer', () => {
  it('keeps SQLite and HNSW in agreement through upserts, edits and deletes', async () => {
    const store = await openStore(dir, { create: true, embeddings: emb });
    await store.write('test', async () => {
      await doc(store, 'a.md', 'Alpha', [['Alpha > Install', 'Install the alpha package with npm.'], ['Alpha > Usage', 'Call alpha() to start.']]);
      await doc(store, 'b.md', 'Beta', [['Beta', '向量索引用于语义检索。']], ['zh']);
    });
    expect((await store.check())).toMatchObject({ ok: true });
    const first = (await store.info());
    expect(first).toMatchObject({ sources: 2, chunks: 3 });
    expect(first.hnsw.elements).toBe(3);

    // edit: one unchanged chunk keeps its row (and label), the changed one is replaced
    const before = sqliteOf(store).db.chunksOfSource(1).map((c) => c.id);
    await store.write('test', async () => {
      await doc(store, 'a.md', 'Alpha', [['Alpha > Install', 'Install the alpha package with npm.'], ['Alpha > Usage', 'Call alpha({ fast: true }) to start quickly.']]);
    });
    const after = sqliteOf(store).db.chunksOfSource(1).map((c) => c.id);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    const report = (await store.check());
    expect(report.ok).toBe(true);
    expect(report.hnsw.deleted).toBe(0); // the deleted slot was reused by the new chunk
    store.close();

    // reopen: the file is loaded, not rebuilt
    const again = await openStore(dir, { embeddings: emb });
    expect(sqliteOf(again).index.state).toBe('loaded');
    const hits = await again.search('alpha package install', { k: 3 });
    expect(hits[0].source).toBe('a.md');
    expect(hits[0].heading).toBe('Alpha > Install');
    const zh = await again.search('向量索引', { k: 3, mode: 'lexical' });
    expect(zh[0].source).toBe('b.md');
    again.close();
  });

  it('replays the change log when the index file is behind, and rebuilds when it is missing', async () => {
    const store = await openStore(dir, { create: true, embeddings: emb });
    await store.write('test', async () => { await doc(store, 'a.md', 'Alpha', [['Alpha', 'one two three']]); });
    // a write whose index file is never saved, as after kill -9
    await doc(store, 'b.md', 'Beta', [['Beta', 'four five six']]);
    store.close();
    const reopened = await openStore(dir, { embeddings: emb });
    expect(sqliteOf(reopened).index.elements).toBe(2);
    expect((await reopened.check()).ok).toBe(true);
    reopened.close();
    for (const f of readdirSync(dir)) if (f.endsWith('.hnsw')) rmSync(join(dir, f));
    const rebuilt = await openStore(dir, { embeddings: emb });
    expect(sqliteOf(rebuilt).index.state).toBe('rebuilt');
    expect((await rebuilt.search('four five', { k: 1, mode: 'vector' }))[0].source).toBe('b.md');
    // the repaired file was written (nobody held the lock)
    expect(readdirSync(dir).some((f) => /^index-\d+\.hnsw$/.test(f))).toBe(true);
    rebuilt.close();
  });

  it('a reader catching up with a large backlog searches it exactly instead of inserting it', async () => {
    const store = await openStore(dir, { create: true, embeddings: emb });
    await store.write('test', async () => { await doc(store, 'a.md', 'Alpha', [['Alpha', 'one two three']]); });
    const { acquireLock } = await import('./lock.js');
    const lock = await acquireLock(dir, 'a running ingest');
    // changes committed by a writer that has not saved its index yet
    for (let i = 0; i < 12; i++) await doc(store, `n${i}.md`, `New ${i}`, [[`New ${i}`, `fresh words number${i}`]]);
    const { VectorIndex } = await import('./hnsw.js');
    const before = VectorIndex.deferInserts;
    VectorIndex.deferInserts = 5;
    try {
      const reader = await openStore(dir, { embeddings: emb });
      expect(sqliteOf(reader).index.deferred).toBe(12);
      expect((await reader.search('number7', { k: 1, mode: 'vector' }))[0].source).toBe('n7.md');
      expect((await reader.check()).ok).toBe(true);
      reader.close();
    } finally {
      VectorIndex.deferInserts = before;
      lock.release();
      store.close();
    }
  });

  it('check after a crash before the first index write: the index is behind (ok, with a note), and --repair catches it up', async () => {
    // vectors committed, no index file yet: what a writer killed before its first save leaves
    const writer = await openStore(dir, { create: true, embeddings: emb });
    await writer.write('test', async () => {
      await doc(writer, 'a.md', 'A', [['Intro', 'alpha beta gamma'], ['More', 'delta epsilon']]);
    }, { save: false });
    // the empty store's first open wrote an empty index file; a crashed first ingest has none
    sqliteOf(writer).db.db.prepare("DELETE FROM settings WHERE key = 'hnsw_file'").run();
    writer.close();
    for (const f of readdirSync(dir).filter((name) => name.endsWith('.hnsw'))) rmSync(join(dir, f));

    // another writer holds the lock, so opening cannot write the repaired index either
    const held = tryLock(dir, 'another writer');
    expect(held).toBeDefined();
    const store = await openStore(dir, { embeddings: emb });
    const behind = await store.check();
    expect(behind.problems).toEqual([]);
    expect(behind.ok).toBe(true);
    expect(behind.notes).toEqual([expect.stringMatching(/^the index file is behind the store: 2 vectors are not in it yet; the next writer catches it up/)]);
    await expect(store.check({ repair: true })).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    held!.release();

    const repaired = await store.check({ repair: true });
    expect(repaired).toMatchObject({ ok: true, problems: [], notes: [] });
    expect(repaired.hnsw.fileGeneration).toBe(repaired.hnsw.storeGeneration);
    expect(readdirSync(dir).filter((f) => f.endsWith('.hnsw'))).toHaveLength(1);
    store.close();
  });

  it('rebuilds when the index file is corrupt', async () => {
    const store = await openStore(dir, { create: true, embeddings: emb });
    await store.write('test', async () => { await doc(store, 'a.md', 'Alpha', [['Alpha', 'one two three']]); });
    store.close();
    const file = readdirSync(dir).find((f) => f.endsWith('.hnsw'))!;
    writeFileSync(join(dir, file), 'garbage');
    const reopened = await openStore(dir, { embeddings: emb });
    expect(sqliteOf(reopened).index.state).toBe('rebuilt');
    expect((await reopened.check()).ok).toBe(true);
    reopened.close();
  });

  it('refuses a missing store and a different embedder', async () => {
    await expect(openStore(join(dir, 'nope'))).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
    expect(existsSync(join(dir, 'nope'))).toBe(false);
    const store = await openStore(dir, { create: true, embeddings: emb });
    await store.write('test', async () => { await doc(store, 'a.md', 'Alpha', [['Alpha', 'one']]); });
    store.close();
    const err = await openStore(dir, { embeddings: localEmbedder(32) }).catch((e) => e);
    expect(isLoomError(err) && err.code).toBe('STORE_EMBEDDER_MISMATCH');
    expect(err.hint).toMatch(/--reembed/);
  });

  it('filters by language, source glob and tag, choosing the plan by selectivity', async () => {
    const store = await openStore(dir, { create: true, embeddings: emb });
    await store.write('test', async () => {
      for (let i = 0; i < 30; i++) await doc(store, `en/p${i}.md`, `Page ${i}`, [[`Page ${i}`, `english text number ${i} about components`]], i % 10 === 0 ? ['api'] : []);
      await doc(store, 'zh/p.md', '页面', [['页面', '组件的中文说明 components']]);
    });
    const zh = await store.search('components', { k: 5, lang: 'zh' });
    expect(zh.map((h) => h.source)).toEqual(['zh/p.md']);
    expect(sqliteOf(store).lastPlan).toBe('exact');
    const glob = await store.search('components', { k: 50, filter: { source: 'en/p1*.md' } });
    expect(new Set(glob.map((h) => h.source))).toEqual(new Set(['en/p1.md', ...Array.from({ length: 10 }, (_, i) => `en/p1${i}.md`)]));
    const tagged = await store.search('components', { k: 10, filter: { tag: 'api' } });
    expect(tagged.map((h) => h.source).sort()).toEqual(['en/p0.md', 'en/p10.md', 'en/p20.md']);
    const none = await store.search('components', { k: 10, filter: { source: 'nothing/**' } });
    expect(none).toEqual([]);
    store.close();
  });
});
