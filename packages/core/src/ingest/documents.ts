import type { ParsedDocument } from '../text/chunk.js';
import { detectLanguage } from '../text/lang.js';
import type { StoreDocument } from '../store/store.js';
import type { ChunkRecord, SourceRecord, SourceRow } from '../store/backend.js';
import { chunkUid, embeddingInput, ftsFields, HEADING_SEPARATOR, inputHash } from '../store/records.js';

type MaybePromise<T> = T | Promise<T>;

/** The reads and writes an ingest or sync makes: the SQLite store answers at once, PostgreSQL with promises. */
export interface IngestBackend {
  getSetting<T>(key: string): MaybePromise<T | undefined>;
  setSetting(key: string, value: unknown): MaybePromise<void>;
  sourcesUnder(dir: string): MaybePromise<SourceRow[]>;
  sourcesOfFile(file: string): MaybePromise<SourceRow[]>;
  sourcesByHash(hash: string): MaybePromise<SourceRow[]>;
  moveSource(id: number, to: { file: string; path: string; name: string; mtimeMs: number }, uids: Map<number, string>): MaybePromise<void>;
  chunksOfSource(sourceId: number): MaybePromise<{ id: number; ord: number; textHash: string }[]>;
  delete(sourceIds: number[]): MaybePromise<void>;
}

/** A store as an ingest writes it (inside its writer lock): lookups, and the store's one write path. */
export interface IngestTarget {
  readonly backend: IngestBackend;
  upsertDocuments(docs: StoreDocument[], signal?: AbortSignal): Promise<{ embedded: number }>;
}

/** A document ready to write (the store's StoreDocument). */
export type PendingDocument = StoreDocument;

/**
 * Chunk records of a parsed document under `key` (ids stable while the text is), with the
 * document's main language. Shared by `loom ingest` and `loom sync`.
 */
export async function chunkRecords(parsed: ParsedDocument, key: string, title: string | undefined): Promise<{ chunks: ChunkRecord[]; inputs: string[]; lang: string }> {
  const chunks: ChunkRecord[] = [];
  const inputs: string[] = [];
  const occurrences = new Map<string, number>();
  const langChars = new Map<string, number>();
  for (const c of parsed.chunks) {
    if (!c.text.trim()) continue;
    const heading = c.heading.join(HEADING_SEPARATOR);
    const input = embeddingInput(title, heading, c.text);
    const textHash = inputHash(input);
    const n = occurrences.get(textHash) ?? 0;
    occurrences.set(textHash, n + 1);
    const lang = await detectLanguage(c.text);
    langChars.set(lang, (langChars.get(lang) ?? 0) + c.text.length);
    inputs.push(input);
    chunks.push({ uid: chunkUid(key, textHash, n), ord: chunks.length, heading, text: c.text, start: c.start, end: c.end, lang, textHash, fts: ftsFields(title, heading, c.text) });
  }
  const lang = [...langChars].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'other';
  return { chunks, inputs, lang };
}

/** Writes a batch through the store's one write path (see LoomStore.upsertDocuments); returns how many chunks were embedded. */
export async function writeDocuments(store: IngestTarget, batch: PendingDocument[], signal?: AbortSignal): Promise<number> {
  return (await store.upsertDocuments(batch, signal)).embedded;
}
