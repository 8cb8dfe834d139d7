import { LoomError } from '../errors.js';
import type { CheckReport, DocumentStore, Hit, SearchOptions, StoreInfo } from './types.js';
import { SqliteHnswBackend } from './local.js';
import type { SqliteDb } from './sqlite.js';
import { VectorIndex, type HnswParams } from './hnsw.js';
import { acquireLock, tryLock, type StoreLock } from './lock.js';
import { searchStore, type RetrievalTuning } from './search.js';
import { checkStore, storeInfo } from './maintenance.js';
import { normalize, toBlob } from './vectors.js';
import { embeddingInput, ftsFields } from './records.js';
import { storeError, withStoreErrors } from './errors.js';

/** What the store needs from an embedder (an EmbedderHandle, or a wrapped LangChain Embeddings). */
export interface StoreEmbedder {
  id: string;
  dimensions: number;
  embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  embedQuery?(text: string, signal?: AbortSignal): Promise<Float32Array>;
}

export interface EmbedderSetting {
  id: string;
  spec: string;
  dimensions: number;
}

type Progress = (p: { phase: string; done: number; total: number }) => void;

/** Changes held only in memory before the index file is rewritten: bounded, amortised O(n). */
const SAVE_EVERY_MIN = 20000;
const SAVE_EVERY_SHARE = 0.25;

/** A store directory opened for search and (with the lock) for writing. */
export class LoomStore implements DocumentStore {
  readonly backend: SqliteHnswBackend;
  readonly index: VectorIndex;
  tuning: Partial<RetrievalTuning> = {};
  /** opened with another embedder (`reembed`) or an interrupted re-embed: `reembedAll` must run */
  reembedPending = false;
  private closed = false;

  constructor(
    readonly dir: string,
    readonly db: SqliteDb,
    readonly embedder: StoreEmbedder,
    readonly embedderSpec: string,
    hnsw: HnswParams,
    readonly readonly: boolean,
  ) {
    this.index = new VectorIndex(db, dir, embedder.dimensions, hnsw);
    this.backend = new SqliteHnswBackend(db, this.index, embedder.dimensions, hnsw);
  }

  get embedderId(): string {
    return this.embedder.id;
  }

  /** Loads or repairs the HNSW file; persists a repaired one when nobody holds the writer lock. */
  openIndex(onProgress?: Progress): void {
    this.index.open(onProgress);
    if (this.readonly || this.index.unsaved === 0) return;
    const lock = tryLock(this.dir, 'index repair');
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

  async embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array> {
    const v = this.embedder.embedQuery ? await this.embedder.embedQuery(text, signal) : (await this.embedder.embedMany([text], signal))[0];
    return normalize(v);
  }

  async embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out = await this.embedder.embedMany(texts, signal);
    return out.map((v) => {
      if (v.length !== this.embedder.dimensions) throw new LoomError('STORE_EMBEDDER_MISMATCH', `embedder ${this.embedder.id} returned ${v.length} dimensions, the store expects ${this.embedder.dimensions}`);
      return normalize(v);
    });
  }

  async search(query: string, options?: SearchOptions): Promise<Hit[]> {
    this.assertOpen();
    try {
      return await searchStore({ backend: this.backend, embedQuery: (q, s) => this.embedQuery(q, s), tuning: this.tuning }, query, options);
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
    const lock: StoreLock = options.lock ?? (await acquireLock(this.dir, what, options.waitMs));
    try {
      return await this.writeLocked(fn, lock, options);
    } catch (error) {
      throw storeError(error, this.dir);
    }
  }

  private async writeLocked<T>(fn: () => Promise<T>, lock: StoreLock, options: { lock?: StoreLock; save?: boolean }): Promise<T> {
    try {
      this.index.writer = true;
      this.index.sync();
      this.index.absorbPending();
      if (!this.db.getSetting<EmbedderSetting>('embedder')) this.rememberEmbedder();
      return await fn();
    } finally {
      this.index.writer = false;
      try {
        // also after a failure or an abort: everything committed so far is kept and indexed
        this.index.sync();
        if (this.index.unsaved > 0 && options.save !== false) this.index.save();
      } finally {
        if (!options.lock) lock.release();
      }
    }
  }

  rememberEmbedder(): void {
    this.db.setSetting('embedder', { id: this.embedder.id, spec: this.embedderSpec, dimensions: this.embedder.dimensions } satisfies EmbedderSetting);
  }

  /** Inside `write`: rewrites the index file once enough changes are only in memory. */
  maybeSave(): void {
    // LOOM_HNSW_SAVE_EVERY forces frequent saves (crash tests exercise kills during a save)
    const every = Number(process.env.LOOM_HNSW_SAVE_EVERY) || Math.max(SAVE_EVERY_MIN, this.index.elements * SAVE_EVERY_SHARE);
    if (this.index.unsaved >= every) this.index.save();
  }

  /**
   * Inside `write`: re-embeds every chunk from its stored text with the current embedder, in
   * committed batches that record how far they got, so a killed re-embed resumes; then rebuilds
   * the index for the new vectors.
   */
  async reembedAll(onProgress?: Progress, signal?: AbortSignal): Promise<number> {
    const state = this.db.getSetting<{ next: number }>('reembed') ?? { next: 0 };
    this.db.db.transaction(() => {
      this.db.setSetting('reembed', state);
      this.rememberEmbedder();
    })();
    const total = this.db.db.prepare('SELECT count(*) FROM chunks WHERE id >= ?').pluck().get(state.next) as number;
    const batch = this.db.db.prepare(`SELECT c.id, c.heading, c.text, s.title FROM chunks c JOIN sources s ON s.id = c.source_id
      WHERE c.id >= ? ORDER BY c.id LIMIT 128`);
    const update = this.db.db.prepare('UPDATE vectors SET v = ? WHERE chunk_id = ?');
    let done = 0;
    for (;;) {
      signal?.throwIfAborted();
      const rows = batch.all(state.next) as { id: number; heading: string; text: string; title: string | null }[];
      if (rows.length === 0) break;
      const vectors = await this.embedMany(rows.map((r) => embeddingInput(r.title, r.heading, r.text)), signal);
      state.next = rows[rows.length - 1].id + 1;
      this.db.db.transaction(() => {
        rows.forEach((r, i) => update.run(toBlob(vectors[i]), r.id));
        this.db.setSetting('reembed', state);
      })();
      done += rows.length;
      onProgress?.({ phase: 'reembed', done, total });
    }
    this.index.rebuild(onProgress);
    this.index.save();
    this.db.db.prepare("DELETE FROM settings WHERE key = 'reembed'").run();
    this.reembedPending = false;
    return done;
  }

  info(): StoreInfo {
    this.assertOpen();
    return withStoreErrors(this.dir, () => storeInfo(this));
  }

  check(): CheckReport {
    this.assertOpen();
    return checkStore(this);
  }

  /** Rebuilds the index from SQLite (a fresh graph without deleted entries) and writes it. */
  async rebuild(onProgress?: Progress): Promise<void> {
    await this.write('loom store rebuild', async () => {
      this.index.rebuild(onProgress);
    });
  }

  /**
   * Rewrites the index without deleted entries, rebuilds the full-text index and vacuums SQLite.
   * Returns the store's bytes before and after.
   */
  async compact(onProgress?: Progress): Promise<{ before: number; after: number }> {
    const before = this.info().bytes;
    await this.write('loom store compact', async () => {
      this.index.rebuild(onProgress);
      this.rebuildFullText(onProgress);
      this.db.db.exec('VACUUM');
      this.db.db.pragma('wal_checkpoint(TRUNCATE)');
    });
    const after = this.info().bytes;
    return { before: before.sqlite + before.hnsw, after: after.sqlite + after.hnsw };
  }

  /**
   * A contentless FTS5 table keeps deleted rows in its BM25 statistics for good ('optimize' does
   * not drop them), so an often-edited store ranks differently from a fresh one. Emptying it with
   * 'delete-all' and indexing every chunk again resets them to what a fresh ingest gives.
   */
  private rebuildFullText(onProgress?: Progress): void {
    const total = this.db.count('chunks');
    // in batches by id: one connection cannot read a statement and write while it iterates
    const batch = this.db.db.prepare('SELECT c.id, c.heading, c.text, s.title FROM chunks c JOIN sources s ON s.id = c.source_id WHERE c.id > ? ORDER BY c.id LIMIT 1000');
    const insert = this.db.db.prepare('INSERT INTO chunks_fts(rowid, title, heading, body) VALUES (?,?,?,?)');
    this.db.db.transaction(() => {
      this.db.db.exec("INSERT INTO chunks_fts(chunks_fts) VALUES ('delete-all')");
      let done = 0;
      for (let after = 0; ;) {
        const rows = batch.all(after) as { id: number; heading: string; text: string; title: string | null }[];
        if (rows.length === 0) break;
        for (const r of rows) {
          const f = ftsFields(r.title, r.heading, r.text);
          insert.run(r.id, f.title, f.heading, f.body);
        }
        after = rows[rows.length - 1].id;
        done += rows.length;
        onProgress?.({ phase: 'full-text', done, total });
      }
    })();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new LoomError('STORE_IO', `store ${this.dir} is closed`);
  }
}
