import type { ChunkRecord, ChunkRow, Progress, Scored, SourceRecord, SourceRow, SqlFilter, StoreBackend, StoreLock } from './backend.js';
import type { Filter } from './filter.js';
import type { CheckReport, StoreInfo } from './types.js';
import { acquireLock, tryLock } from './lock.js';
import { LoomError } from '../errors.js';
import { checkStore, compactStore, replaceVectors, storeInfo } from './maintenance.js';
import { toSqliteFilter } from './sqlite-filter.js';
import type { SqliteDb } from './sqlite.js';
import { VectorIndex, type HnswParams } from './hnsw.js';
import { dot } from './vectors.js';

/** Filters matching at most this many chunks are answered by an exact scan of their vectors. */
export const EXACT_SCAN_MIN = 2000;
/** …or at most this share of the store, up to EXACT_SCAN_MAX rows. */
export const EXACT_SCAN_SHARE = 0.05;
export const EXACT_SCAN_MAX = 20000;

/** Changes held only in memory before the index file is rewritten: bounded, amortised O(n). */
const SAVE_EVERY_MIN = 20000;
const SAVE_EVERY_SHARE = 0.25;

/** Memory for cached filter candidates (vectors of repeated selective filters). */
export const FILTER_CACHE_BYTES = 64 * 1024 * 1024;

export type VectorPlan = 'hnsw' | 'exact' | 'hnsw-postfilter' | 'hnsw-filter';

/**
 * SQLite (rows, vectors, FTS5, settings, change log) + the derived HNSW index, behind the
 * StoreBackend interface. Vector search picks its plan from the filter's selectivity.
 */
export class SqliteHnswBackend implements StoreBackend {
  lastPlan: VectorPlan = 'hnsw';
  lexicalWeights: [number, number, number] = [4, 2.5, 1];

  constructor(readonly location: string, readonly db: SqliteDb, readonly index: VectorIndex, readonly dimensions: number, readonly hnsw: HnswParams) {}

  getSetting<T>(key: string): T | undefined { return this.db.getSetting<T>(key); }
  setSetting(key: string, value: unknown): void { this.db.setSetting(key, value); }
  deleteSetting(key: string): void { this.db.deleteSetting(key); }
  sourcesUnder(dir: string): SourceRow[] { return this.db.sourcesUnder(dir); }
  sourcesOfFile(file: string): SourceRow[] { return this.db.sourcesOfFile(file); }
  sourcesWithKeyPrefix(prefix: string): SourceRow[] { return this.db.sourcesWithKeyPrefix(prefix); }
  sourcesByHash(hash: string): SourceRow[] { return this.db.sourcesByHash(hash); }
  sourcesByOrigin(origin: string): SourceRow[] { return this.db.sourcesByOrigin(origin); }

  lock(what: string, waitMs?: number): Promise<StoreLock> { return acquireLock(this.location, what, waitMs); }
  tryLock(what: string): StoreLock | undefined { return tryLock(this.location, what); }

  open(options: { readonly: boolean; rebuild: boolean; onProgress?: Progress }): void {
    if (options.rebuild && !options.readonly) {
      this.index.rebuild(options.onProgress); // in memory only: searches work meanwhile
      return;
    }
    this.index.open(options.onProgress);
    if (options.readonly || this.index.unsaved === 0) return;
    const lock = this.tryLock('index repair');
    if (!lock) return;
    try {
      this.index.sync();
      this.index.save();
    } catch {
      // a read-only directory or a full disk: searching from memory still works
    } finally {
      lock.release();
    }
  }

  unsavedChanges(): number { return this.index.unsaved; }

  /** The writer catches the index up and keeps every change in the graph, which it saves. */
  beginWrite(): void {
    this.index.writer = true;
    this.index.sync();
    this.index.absorbPending();
  }

  endWrite(options: { save: boolean }): void {
    this.index.writer = false;
    // also after a failure or an abort: everything committed so far is kept and indexed
    this.index.sync();
    if (this.index.unsaved > 0 && options.save) this.index.save();
  }

  checkpoint(): void {
    // LOOM_HNSW_SAVE_EVERY forces frequent saves (crash tests exercise kills during a save)
    const every = Number(process.env.LOOM_HNSW_SAVE_EVERY) || Math.max(SAVE_EVERY_MIN, this.index.elements * SAVE_EVERY_SHARE);
    if (this.index.unsaved >= every) this.index.save();
  }

  info(): StoreInfo { return storeInfo(this.db, this.index, this.location); }
  check(options: { repair?: boolean } = {}): CheckReport { return checkStore(this, options); }
  rebuildIndex(onProgress?: Progress): void { this.index.rebuild(onProgress); }
  compact(onProgress?: Progress): { before: number; after: number } { return compactStore(this, onProgress); }
  replaceVectors(vectors: Map<number, Float32Array>, settings?: Record<string, unknown>): void { replaceVectors(this.db, vectors, settings); }
  close(): void { this.db.close(); }
  vectorsByTextHash(hashes: string[]): Map<string, Buffer> { return this.db.vectorsByTextHash(hashes); }
  chunksOfSource(sourceId: number) { return this.db.chunksOfSource(sourceId); }
  getChunks(ids: number[]): ChunkRow[] { return this.db.getChunks(ids); }

  upsert(source: SourceRecord, chunks: ChunkRecord[]): number {
    const id = this.db.replaceSource(source, chunks);
    this.index.sync();
    return id;
  }

  moveSource(id: number, to: { file: string; path: string; name: string; mtimeMs: number }, uids: Map<number, string>): void {
    this.db.moveSource(id, to, uids);
  }

  delete(sourceIds: number[]): void {
    this.db.deleteSources(sourceIds);
    this.index.sync();
  }

  deleteChunks(uids: string[]): number {
    const n = this.db.deleteChunksByUid(uids);
    this.index.sync();
    return n;
  }

  vectors(ids: number[]): Map<number, Float32Array> {
    return this.db.vectors(ids);
  }

  scanChunks(afterId: number, limit: number, filter?: Filter): ChunkRow[] {
    return this.db.scanChunks(afterId, limit, toSqliteFilter(filter));
  }

  private noise?: number;
  private readonly cache = new Map<string, Candidates & { generation: number }>();
  private cacheBytes = 0;

  /**
   * The vectors a selective filter matches, cached while the store does not change: a pipeline
   * or a user repeating one filter (a language, a section) pays the SQLite read once.
   */
  private candidates(filter: SqlFilter, limit: number): Candidates | null {
    const key = `${filter.where}\u0000${JSON.stringify(filter.params)}`;
    const generation = this.db.generation();
    const hit = this.cache.get(key);
    if (hit && hit.generation === generation) {
      this.cache.delete(key);
      this.cache.set(key, hit); // most recently used last
      return hit;
    }
    const rows = this.db.filteredVectors(filter, limit, this.dimensions);
    if (!rows) return null;
    if (hit) { this.cache.delete(key); this.cacheBytes -= hit.matrix.byteLength; }
    this.cache.set(key, { ...rows, generation });
    this.cacheBytes += rows.matrix.byteLength;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= FILTER_CACHE_BYTES || k === key) break;
      this.cache.delete(k);
      this.cacheBytes -= v.matrix.byteLength;
    }
    return rows;
  }

  /**
   * The similarity unrelated chunks reach with this store's embedder: the 99th percentile over
   * pairs of up to 64 random stored vectors (computed once per open). A vector list whose best
   * hit is no better than this found nothing, whatever the embedder's scale.
   */
  noiseLevel(): number {
    if (this.noise !== undefined) return this.noise;
    const ids = this.db.db.prepare('SELECT chunk_id FROM vectors ORDER BY random() LIMIT 64').pluck().all() as number[];
    const vs = [...this.vectors(ids).values()].filter((v) => v.length === this.dimensions);
    const sims: number[] = [];
    for (let i = 0; i < vs.length; i++) for (let j = i + 1; j < vs.length; j++) sims.push(dot(vs[i], vs[j]));
    sims.sort((a, b) => a - b);
    this.noise = sims.length >= 10 ? sims[Math.floor(sims.length * 0.99)] : 0;
    return this.noise;
  }

  private readonly dfCache = new Map<string, number>();
  private dfGeneration = -1;

  /**
   * In how many chunks a query token occurs (FTS5 applies the same tokenizer and stemmer as the
   * index). Cached until the store changes: the costly tokens are the common ones, which recur.
   */
  docFreq(token: string): number {
    const generation = this.db.generation();
    if (generation !== this.dfGeneration) {
      this.dfCache.clear();
      this.dfGeneration = generation;
    }
    let n = this.dfCache.get(token);
    if (n === undefined) {
      n = this.db.db.prepare('SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?').pluck().get(`"${token.replace(/"/g, '""')}"`) as number;
      if (this.dfCache.size > 50000) this.dfCache.clear();
      this.dfCache.set(token, n);
    }
    return n;
  }

  /** Approximate number of chunks (the index's element count, deleted slots included). */
  chunkCount(): number {
    return this.index.elements;
  }

  lexicalSearch(tokens: string[], k: number, filter?: Filter): Scored[] {
    return this.db.lexical(fts5Match(tokens), k, this.lexicalWeights, toSqliteFilter(filter));
  }

  /**
   * Unfiltered: HNSW with ef ≥ max(stored ef, 2k). Filtered: an exact scan when the filter is
   * selective (hnswlib's filter callback walks most of the graph then, 50x slower), else HNSW
   * over-fetching by 1/selectivity and filtering in SQL, with the callback as the last resort.
   */
  vectorSearch(query: Float32Array, k: number, where?: Filter): Scored[] {
    this.index.sync();
    const filter = toSqliteFilter(where);
    if (!filter) {
      this.lastPlan = 'hnsw';
      return this.index.search(query, k);
    }
    // count(*) over the vectors table reads every page of it; the index knows its size
    const total = Math.max(1, this.index.elements);
    const limit = Math.max(EXACT_SCAN_MIN, Math.min(EXACT_SCAN_MAX, Math.floor(total * EXACT_SCAN_SHARE)));
    const rows = this.candidates(filter, limit);
    if (rows) {
      this.lastPlan = 'exact';
      return exactTopK(query, rows, k);
    }
    const matching = this.db.countMatching(filter);
    const share = Math.max(matching / total, 1e-6);
    let fetch = Math.ceil((k / share) * 1.5);
    const cap = Math.min(total, 4096);
    while (fetch <= cap) {
      const hits = this.index.search(query, fetch, { ef: Math.max(this.hnsw.ef, fetch) });
      const pass = this.db.passing(hits.map((h) => h.id), filter);
      const kept = hits.filter((h) => pass.has(h.id));
      if (kept.length >= k || hits.length < fetch) {
        this.lastPlan = 'hnsw-postfilter';
        return kept.slice(0, k);
      }
      // far fewer passing neighbours than the filter's share predicts: the filter excludes the
      // query's neighbourhood (an English question, lang=zh); fetching more will not find them
      if (kept.length < fetch * share * 0.25) break;
      fetch *= 2;
    }
    // an exact scan of a mid-size match set (cached) beats hnswlib's filter callback, which must
    // walk from the query's neighbourhood to the allowed region one JS call per visited node
    if (matching * this.dimensions * 4 <= FILTER_CACHE_BYTES / 2) {
      const rows = this.candidates(filter, matching);
      if (rows) {
        this.lastPlan = 'exact';
        return exactTopK(query, rows, k);
      }
    }
    this.lastPlan = 'hnsw-filter';
    const allowed = this.db.matchingIds(filter);
    return this.index.search(query, k, { ef: Math.max(this.hnsw.ef, Math.ceil(k / share)), filter: (label) => allowed.has(label) });
  }
}

/** An FTS5 query: each token quoted (no FTS syntax from users), OR-ed for BM25. */
export function fts5Match(tokens: string[]): string {
  return tokens.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

/** The SQLite backend of a store opened from a folder (tests and SQLite-only tools look inside). */
export function sqliteOf(store: { backend: StoreBackend; dir: string }): SqliteHnswBackend {
  if (store.backend instanceof SqliteHnswBackend) return store.backend;
  throw new LoomError('USAGE', `store ${store.dir} is not a SQLite store`);
}

export interface Candidates {
  ids: number[];
  matrix: Float32Array;
}

/** Exact inner-product top k over packed candidate vectors. */
export function exactTopK(query: Float32Array, rows: Candidates, k: number): Scored[] {
  const d = query.length;
  const scored: Scored[] = new Array(rows.ids.length);
  for (let r = 0; r < rows.ids.length; r++) {
    let s = 0;
    const off = r * d;
    for (let j = 0; j < d; j++) s += query[j] * rows.matrix[off + j];
    scored[r] = { id: rows.ids[r], score: s };
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, k);
}
