/**
 * The small interface between ingest/retrieval and the storage engine. SQLite + HNSW implement it
 * today (store/local.ts); a Postgres + pgvector backend can take its place with the same ingest,
 * retrieval and CLI code.
 */

import type { Filter } from './filter.js';

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

/** What ingest and retrieval need from a storage engine. */
export interface StoreBackend {
  readonly dimensions: number;
  getSetting<T>(key: string): T | undefined;
  setSetting(key: string, value: unknown): void;
  /** documents whose file lies under this absolute directory */
  sourcesUnder(dir: string): SourceRow[];
  sourcesOfFile(file: string): SourceRow[];
  /** documents whose key (`path`) starts with this prefix */
  sourcesWithKeyPrefix(prefix: string): SourceRow[];
  sourcesByHash(hash: string): SourceRow[];
  vectorsByTextHash(hashes: string[]): Map<string, Buffer>;
  /** one transaction per document */
  upsert(source: SourceRecord, chunks: ChunkRecord[]): number;
  moveSource(id: number, to: { file: string; path: string; name: string; mtimeMs: number }, uids: Map<number, string>): void;
  chunksOfSource(sourceId: number): { id: number; ord: number; textHash: string }[];
  delete(sourceIds: number[]): void;
  deleteChunks(uids: string[]): number;
  vectorSearch(query: Float32Array, k: number, filter?: Filter): Scored[];
  /** BM25 over the segmented full text: chunks holding any of these tokens */
  lexicalSearch(tokens: string[], k: number, filter?: Filter): Scored[];
  getChunks(ids: number[]): ChunkRow[];
  /** up to `limit` chunks passing the filter with ids above `afterId`, in id order (for scans) */
  scanChunks(afterId: number, limit: number, filter?: Filter): ChunkRow[];
  vectors(ids: number[]): Map<number, Float32Array>;
}
