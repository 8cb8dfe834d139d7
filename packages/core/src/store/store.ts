import { LoomError } from '../errors.js';
import type { CheckReport, DocumentStore, Hit, SearchOptions, StoreInfo } from './types.js';
import type { ChunkRecord, SourceRecord, StoreBackend, StoreLock } from './backend.js';
import { searchStore, type RetrievalTuning } from './search.js';
import { embeddingInput } from './records.js';
import { storeError } from './errors.js';
import { LearnedSearch } from '../learned/lifecycle.js';

import { embedManyWith, embedQueryWith, type StoreEmbedder } from './embed.js';

export type { StoreEmbedder } from './embed.js';

export interface EmbedderSetting {
  id: string;
  spec: string;
  dimensions: number;
}

/** A document ready to write: its record, its chunks, and each chunk's embedding input. */
export interface StoreDocument {
  source: SourceRecord;
  /** a chunk that already carries a `vector` (precomputed) is not embedded, only checked */
  chunks: ChunkRecord[];
  inputs: string[];
}

type Progress = (p: { phase: string; done: number; total: number }) => void;

/** The setting holding `loom sync` sources' weights by source name. */
export const SOURCE_WEIGHTS_SETTING = 'sync.weights';

/** A store opened for search and (with the lock) for writing, over any StoreBackend. */
export class LoomStore implements DocumentStore {
  tuning: Partial<RetrievalTuning> = {};
  /** opened with another embedder (`reembed`) or an interrupted re-embed: `reembedAll` must run */
  reembedPending = false;
  private closed = false;
  private learned = new LearnedSearch(this);

  constructor(
    readonly dir: string,
    readonly backend: StoreBackend,
    readonly embedder: StoreEmbedder,
    readonly embedderSpec: string,
    readonly readonly: boolean,
  ) {}

  get embedderId(): string {
    return this.embedder.id;
  }

  embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array> {
    return embedQueryWith(this.embedder, text, signal);
  }

  embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    return embedManyWith(this.embedder, texts, signal);
  }

  async search(query: string, options?: SearchOptions): Promise<Hit[]> {
    this.assertOpen();
    try {
      // each synced source's ranking weight, as the last `loom sync` recorded it (see docs/sources.md)
      const weights = await this.backend.getSetting<Record<string, number>>(SOURCE_WEIGHTS_SETTING);
      return await searchStore({
        backend: this.backend,
        embedQuery: (q, s) => this.embedQuery(q, s),
        learned: (q, k, f) => this.learned.search(q, k, f),
        tuning: this.tuning,
        weights,
      }, query, options);
    } catch (error) {
      throw storeError(error, this.dir);
    }
  }

  /**
   * Runs `fn` holding the writer lock, with the index caught up first and written at the end
   * (and during, via `maybeSave`). Remembers the embedder on the store's first write.
   */
  async write<T>(what: string, fn: () => Promise<T>, options: { waitMs?: number; lock?: StoreLock; save?: boolean } = {}): Promise<T> {
    this.assertOpen();
    if (this.readonly) throw new LoomError('STORE_IO', `store ${this.dir} was opened read-only`);
    const lock: StoreLock = options.lock ?? (await this.backend.lock(what, options.waitMs));
    try {
      return await this.writeLocked(fn, lock, options);
    } catch (error) {
      throw storeError(error, this.dir);
    }
  }

  private async writeLocked<T>(fn: () => Promise<T>, lock: StoreLock, options: { lock?: StoreLock; save?: boolean }): Promise<T> {
    try {
      await this.backend.beginWrite();
      if (!(await this.backend.getSetting<EmbedderSetting>('embedder'))) await this.rememberEmbedder();
      return await fn();
    } finally {
      try {
        await this.backend.endWrite({ save: options.save !== false });
      } finally {
        if (!options.lock) await lock.release();
      }
    }
  }

  async rememberEmbedder(): Promise<void> {
    await this.backend.setSetting('embedder', { id: this.embedder.id, spec: this.embedderSpec, dimensions: this.embedder.dimensions } satisfies EmbedderSetting);
  }

  /**
   * Inside `write`: the one write path of documents. Chunks whose embedding input is already
   * stored reuse its vector; the rest are embedded in one batch (precomputed vectors are taken as
   * given); every vector must have the store's dimension; then each document is upserted in its
   * own transaction and derived state is saved once enough is pending. Returns how many chunks
   * were embedded.
   */
  upsertDocuments(docs: StoreDocument[], signal?: AbortSignal): Promise<{ embedded: number }> {
    return upsertDocumentsWith(this, docs, signal);
  }

  /** Inside `write`: persists derived state once enough changes are only in memory. */
  async maybeSave(): Promise<void> {
    await this.backend.checkpoint();
  }

  /**
   * Inside `write`: re-embeds every chunk from its stored text with the current embedder, in
   * committed batches that record how far they got, so a killed re-embed resumes; then rebuilds
   * the index for the new vectors.
   */
  async reembedAll(onProgress?: Progress, signal?: AbortSignal): Promise<number> {
    const b = this.backend;
    const state = (await b.getSetting<{ next: number }>('reembed')) ?? { next: 0 };
    await b.setSetting('reembed', state);
    await this.rememberEmbedder();
    const total = await b.chunkCount();
    let done = 0;
    for (;;) {
      signal?.throwIfAborted();
      const rows = await b.scanChunks(state.next - 1, 128);
      if (rows.length === 0) break;
      const vectors = await this.embedMany(rows.map((r) => embeddingInput(r.title, r.heading, r.text)), signal);
      state.next = rows[rows.length - 1].id + 1;
      await b.replaceVectors(new Map(rows.map((r, i) => [r.id, vectors[i]])), { reembed: state });
      done += rows.length;
      onProgress?.({ phase: 'reembed', done, total });
    }
    // the write session saves the rebuilt index; a crash before that replays the vector log
    await b.rebuildIndex(onProgress);
    await b.deleteSetting('reembed');
    this.reembedPending = false;
    return done;
  }

  async info(): Promise<StoreInfo> {
    this.assertOpen();
    const info = await this.backend.info();
    if (!info.embedder.id) info.embedder = { id: this.embedder.id, spec: this.embedderSpec, dimensions: this.embedder.dimensions };
    return info;
  }

  /**
   * Whether rows and derived state agree. `repair` first runs an empty write session, which
   * catches derived state up and writes it (the index file of a store whose writer was killed).
   */
  async check(options: { repair?: boolean } = {}): Promise<CheckReport> {
    this.assertOpen();
    if (options.repair && !this.readonly) await this.write('loom store check --repair', async () => {});
    return this.backend.check(options);
  }

  /** Rebuilds the index from SQLite (a fresh graph without deleted entries) and writes it. */
  async rebuild(onProgress?: Progress): Promise<void> {
    await this.write('loom store rebuild', async () => {
      await this.backend.rebuildIndex(onProgress);
    });
  }

  /**
   * Drops deleted index entries, rebuilds the full-text statistics and reclaims space.
   * Returns the store's bytes before and after.
   */
  async compact(onProgress?: Progress): Promise<{ before: number; after: number }> {
    return this.write('loom store compact', async () => this.backend.compact(onProgress));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.backend.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new LoomError('STORE_IO', `store ${this.dir} is closed`);
  }
}

/** What the one write path needs of a store (LoomStore over SQLite, PgStore over PostgreSQL). */
export interface WritableStore {
  readonly dir: string;
  readonly embedder: StoreEmbedder;
  readonly backend: { vectorsByTextHash: StoreBackend['vectorsByTextHash']; upsert: StoreBackend['upsert']; checkpoint: StoreBackend['checkpoint'] };
  embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/**
 * The store's one write path: chunks reuse a stored vector of the same embedding input (or carry
 * a precomputed one when given), the rest are embedded in one batch; every vector must have the
 * store's dimension; then each document is upserted in its own transaction and derived state is
 * saved once enough is pending. Returns how many chunks were embedded.
 */
export async function upsertDocumentsWith(store: WritableStore, docs: StoreDocument[], signal?: AbortSignal): Promise<{ embedded: number }> {
  const known = await store.backend.vectorsByTextHash(docs.flatMap((d) => d.chunks.filter((c) => !c.vector).map((c) => c.textHash)));
  const todo = new Map<string, string>();
  for (const d of docs) d.chunks.forEach((c, i) => { if (!c.vector && !known.has(c.textHash)) todo.set(c.textHash, d.inputs[i]); });
  const entries = [...todo];
  const vectors = entries.length > 0 ? await store.embedMany(entries.map((e) => e[1]), signal) : [];
  const fresh = new Map(entries.map(([h], i) => [h, vectors[i]]));
  for (const d of docs) {
    for (const c of d.chunks) {
      c.vector ??= known.get(c.textHash) ?? fresh.get(c.textHash);
      assertDimensions(store, c);
    }
  }
  for (const d of docs) {
    signal?.throwIfAborted();
    await store.backend.upsert(d.source, d.chunks);
  }
  await store.backend.checkpoint();
  return { embedded: entries.length };
}

function assertDimensions(store: WritableStore, c: ChunkRecord): void {
  const length = !c.vector ? 0 : c.vector instanceof Float32Array ? c.vector.length : c.vector.byteLength / 4;
  if (length !== store.embedder.dimensions) {
    throw new LoomError('STORE_EMBEDDER_MISMATCH', `chunk ${c.uid} has a vector of ${length} dimensions; the store ${store.dir} holds ${store.embedder.dimensions}`, {
      hint: 'write vectors made by the store\'s embedder (or open another store for these)',
    });
  }
}
