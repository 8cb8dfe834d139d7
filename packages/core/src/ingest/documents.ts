import type { ParsedDocument } from '../text/chunk.js';
import { detectLanguage } from '../text/lang.js';
import type { LoomStore } from '../store/store.js';
import type { ChunkRecord, SourceRecord } from '../store/backend.js';
import { chunkUid, embeddingInput, ftsFields, HEADING_SEPARATOR, inputHash } from '../store/records.js';

/** A document ready to write: its record, its chunks, and each chunk's embedding input. */
export interface PendingDocument {
  source: SourceRecord;
  chunks: ChunkRecord[];
  inputs: string[];
}

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

/**
 * Embeds what no stored chunk already has a vector for (equal text, equal vector), then writes
 * each document in its own transaction. Returns how many chunks were embedded.
 */
export async function writeDocuments(store: LoomStore, batch: PendingDocument[], signal?: AbortSignal): Promise<number> {
  const hashes = batch.flatMap((p) => p.chunks.map((c) => c.textHash));
  const known = await store.backend.vectorsByTextHash(hashes);
  const todo = new Map<string, string>();
  batch.forEach((p) => p.chunks.forEach((c, i) => { if (!known.has(c.textHash)) todo.set(c.textHash, p.inputs[i]); }));
  const entries = [...todo];
  const vectors = entries.length > 0 ? await store.embedMany(entries.map((e) => e[1]), signal) : [];
  const fresh = new Map(entries.map(([h], i) => [h, vectors[i]]));
  for (const p of batch) {
    for (const c of p.chunks) c.vector = known.get(c.textHash) ?? fresh.get(c.textHash);
    await store.backend.upsert(p.source, p.chunks);
  }
  await store.maybeSave();
  return entries.length;
}
