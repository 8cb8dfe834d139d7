/**
 * The seam between promptloom and a storage engine. Everything above it — reading and chunking
 * files, embedding (with vector reuse and the dimension check), batching, hybrid search and
 * fusion, LangChain, the CLI — is shared; a backend stores rows, answers searches and keeps its
 * own derived state (an index file, a pgvector index). SQLite + HNSW implement it in
 * store/local.ts; PostgreSQL + pgvector implements the same interface. See store/ARCHITECTURE.md
 * for what a backend must guarantee.
 *
 * Methods may answer at once (SQLite) or with a promise (PostgreSQL): callers always `await`.
 */

import type { Filter } from './filter.js';
import type { SearchBackend } from './search.js';
import type { CheckReport, StoreInfo } from './types.js';

export type MaybePromise<T> = T | Promise<T>;

/**
 * Where a document came from, for citations and for `loom sync` (which finds its documents by
 * `origin` to update or remove them). Every field is optional: a file ingested by path has none.
 */
export interface Provenance {
  /** the document's address at its origin (https://…); hits show it as the link */
  url?: string;
  author?: string;
  /** when the document last changed at its origin (ISO 8601), as the origin reports it */
  updatedAt?: string;
  /** the name of the configured source it was synced from (a `loom sync` source) */
  origin?: string;
  /** what kind of document: 'file', 'web', 'github-issue', 'github-discussion', … */
  kind?: string;
}

/** One document (a file, a JSON/JSONL record, or a LangChain document). */
export interface SourceRecord {
  /** absolute path of the file on disk ('' when there is none) */
  file: string;
  /** unique key of the document: the file's absolute path, path#record, or lc:<id> */
  path: string;
  /** what hits show as `source`: relative to the ingest root, forward slashes */
  name: string;
  hash: string;
  size: number;
  mtimeMs: number;
  lang: string;
  title?: string;
  meta: Record<string, unknown>;
  tags: string[];
  provenance?: Provenance;
}

export interface ChunkRecord {
  uid: string;
  ord: number;
  heading: string;
  text: string;
  start: number;
  end: number;
  lang: string;
  /** hash of the embedding input: equal hash, equal vector */
  textHash: string;
  meta?: Record<string, unknown>;
  /** needed only for chunks not already stored with this textHash */
  vector?: Float32Array | Buffer;
  /** segmented text for the lexical index */
  fts: { title: string; heading: string; body: string };
}

export interface SourceRow {
  id: number;
  file: string;
  path: string;
  name: string;
  hash: string;
  /** set for documents written with provenance (sources by origin) */
  url?: string | null;
  updatedAt?: string | null;
}

export interface ChunkRow {
  id: number;
  uid: string;
  sourceId: number;
  source: string;
  title: string | null;
  heading: string;
  text: string;
  lang: string;
  ord: number;
  meta: string | null;
  sourceMeta: string;
  /** the document's provenance columns (null when not given) */
  url?: string | null;
  author?: string | null;
  updatedAt?: string | null;
  origin?: string | null;
  kind?: string | null;
}

/** A filter compiled to a SQL condition over `chunks c`. */
export interface SqlFilter {
  where: string;
  params: unknown[];
}

export interface LogEntry {
  seq: number;
  label: number;
  op: number;
}

export interface Scored {
  id: number;
  score: number;
}

export interface StoreLock {
  release(): MaybePromise<void>;
}

export type Progress = (p: { phase: string; done: number; total: number }) => void;

/**
 * What a storage engine implements. Writes happen only inside a write session: `lock`, then
 * `beginWrite`, the writes, `endWrite` (also after a failure), then the lock's `release`.
 * Readers never lock and must see every committed write (SQLite replays its change log into the
 * index; PostgreSQL reads its tables).
 */
export interface StoreBackend extends SearchBackend {
  /** the store's location for messages: a folder, or a postgres:// URL without its password */
  readonly location: string;
  /** dimension of the stored vectors; a write of another length is refused above the backend */
  readonly dimensions: number;

  // --- settings: JSON values (embedder, chunker, index parameters and tuned ef, re-embed progress)
  getSetting<T>(key: string): MaybePromise<T | undefined>;
  setSetting(key: string, value: unknown): MaybePromise<void>;

  // --- one writer at a time (SQLite: store.lock; PostgreSQL: an advisory lock)
  /** waits up to `waitMs`, then fails with STORE_LOCKED naming the holder ("store is locked by pid N") */
  lock(what: string, waitMs?: number): Promise<StoreLock>;
  /** only the lock if it is free at once (derived-state repair on open); undefined when held */
  tryLock(what: string): MaybePromise<StoreLock | undefined>;
  /**
   * on open: load derived state, repairing it from the rows when missing or stale (and writing
   * the repair when the lock is free and the store is writable); `rebuild` rebuilds it in memory
   * only (a pending re-embed switches vectors)
   */
  open(options: { readonly: boolean; rebuild: boolean; onProgress?: Progress }): MaybePromise<void>;
  /** changes that derived state holds only in memory (0 for a backend that derives nothing) */
  unsavedChanges(): MaybePromise<number>;
  /** with the lock held, before the session's first write: catch derived state up */
  beginWrite(): MaybePromise<void>;
  /** after the session's last write (also after a failure); `save: false` may defer derived state */
  endWrite(options: { save: boolean }): MaybePromise<void>;
  /** between batches of a long write: persist derived state once much of it is only in memory */
  checkpoint(): MaybePromise<void>;

  // --- documents; each call is one transaction
  /** replaces the document at `source.path` and its chunks; chunks keep their row when their textHash is unchanged */
  upsert(source: SourceRecord, chunks: ChunkRecord[]): MaybePromise<number>;
  /** a rename: same content under a new path keeps its chunks and vectors; `uids` gives chunks new uids */
  moveSource(id: number, to: { file: string; path: string; name: string; mtimeMs: number }, uids: Map<number, string>): MaybePromise<void>;
  delete(sourceIds: number[]): MaybePromise<void>;
  /** by chunk uid (LangChain ids); documents left without chunks go too; returns how many were found */
  deleteChunks(uids: string[]): MaybePromise<number>;

  // --- lookups for incremental sync
  /** documents whose file lies under this absolute directory (`dir` ends with the separator) */
  sourcesUnder(dir: string): MaybePromise<SourceRow[]>;
  sourcesOfFile(file: string): MaybePromise<SourceRow[]>;
  /** documents whose key (`path`) starts with this prefix (a sync source's documents) */
  sourcesWithKeyPrefix(prefix: string): MaybePromise<SourceRow[]>;
  sourcesByHash(hash: string): MaybePromise<SourceRow[]>;
  /** documents written with this provenance origin (a `loom sync` source) */
  sourcesByOrigin(origin: string): MaybePromise<SourceRow[]>;
  chunksOfSource(sourceId: number): MaybePromise<{ id: number; ord: number; textHash: string }[]>;
  /** one stored vector per embedding-input hash that has one: equal input, no new embedding */
  vectorsByTextHash(hashes: string[]): MaybePromise<Map<string, Buffer | Float32Array>>;

  // --- search: vectorSearch, lexicalSearch, getChunks, vectors, noiseLevel, docFreq, chunkCount (SearchBackend)
  /** up to `limit` chunks passing the filter with ids above `afterId`, in id order (for scans) */
  scanChunks(afterId: number, limit: number, filter?: Filter): MaybePromise<ChunkRow[]>;

  // --- maintenance
  /** counts, languages, index parameters, bytes (`dir` is the location; `embedder` from settings) */
  info(): MaybePromise<StoreInfo>;
  /**
   * whether rows and derived state agree: real damage in `problems`, derived state that is only
   * behind (and will catch up) in `notes`. A repair is an empty write session run before it.
   */
  check(options?: { repair?: boolean }): MaybePromise<CheckReport>;
  /** rebuilds derived search state (the vector index) from the rows */
  rebuildIndex(onProgress?: Progress): MaybePromise<void>;
  /** drops deleted entries, rebuilds full-text statistics, returns bytes used before and after */
  compact(onProgress?: Progress): MaybePromise<{ before: number; after: number }>;
  /** replaces the vectors of these chunks and sets the given settings, in one transaction (re-embed) */
  replaceVectors(vectors: Map<number, Float32Array>, settings?: Record<string, unknown>): MaybePromise<void>;
  deleteSetting(key: string): MaybePromise<void>;
  close(): MaybePromise<void>;
}
