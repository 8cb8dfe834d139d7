import { LoomError } from '../../errors.js';
import type { StoreLock } from '../lock.js';
import type { CheckReport, DocumentStore, Hit, OpenStoreOptions, SearchOptions, StoreInfo } from '../types.js';
import { embedManyWith, embedQueryWith, type StoreEmbedder } from '../embed.js';
import { DEFAULT_HNSW, type HnswParams } from '../hnsw.js';
import { searchStore, type RetrievalTuning } from '../search.js';
import { upsertDocumentsWith, type EmbedderSetting, type StoreDocument } from '../store.js';
import { PgBackend } from './backend.js';
import { PgConnection } from './connect.js';
import { acquirePgLock } from './lock.js';
import { checkPgStore, pgStoreInfo } from './maintenance.js';
import { ensureVectors, migratePg } from './schema.js';
import { parsePgLocation } from './url.js';

type Progress = (p: { phase: string; done: number; total: number }) => void;

/** A store in PostgreSQL + pgvector: the same search, ingest and maintenance as a store folder. */
export class PgStore implements DocumentStore {
  readonly kind = 'postgres';
  tuning: Partial<RetrievalTuning> = {};
  /** re-embedding a PostgreSQL store is not supported yet (see docs/scale.md) */
  readonly reembedPending = false;
  private closed = false;

  constructor(
    readonly db: PgConnection,
    readonly backend: PgBackend,
    readonly embedder: StoreEmbedder,
    readonly embedderSpec: string,
    readonly hnsw: HnswParams,
    readonly pgvector: string,
    readonly readonly: boolean,
  ) {}

  /** The store's URL with the password redacted: what messages and `store info` show. */
  get dir(): string {
    return this.db.loc.display;
  }

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
    return searchStore({ backend: this.backend, embedQuery: (q, s) => this.embedQuery(q, s), tuning: this.tuning }, query, options);
  }

  /** Runs `fn` holding the store's advisory writer lock (one ingest or sync at a time). */
  async write<T>(what: string, fn: () => Promise<T>, options: { waitMs?: number; lock?: StoreLock } = {}): Promise<T> {
    this.assertOpen();
    if (this.readonly) throw new LoomError('STORE_IO', `store ${this.dir} was opened read-only`);
    const lock = options.lock ?? (await acquirePgLock(this.db, what, options.waitMs));
    try {
      if (!(await this.backend.getSetting<EmbedderSetting>('embedder'))) await this.rememberEmbedder();
      return await fn();
    } finally {
      if (!options.lock) lock.release();
    }
  }

  async rememberEmbedder(): Promise<void> {
    await this.backend.setSetting('embedder', { id: this.embedder.id, spec: this.embedderSpec, dimensions: this.embedder.dimensions } satisfies EmbedderSetting);
  }

  /** The one write path (shared with the SQLite store): vector reuse, embedding, one transaction per document. */
  upsertDocuments(docs: StoreDocument[], signal?: AbortSignal): Promise<{ embedded: number }> {
    return upsertDocumentsWith(this, docs, signal);
  }

  info(): Promise<StoreInfo> {
    this.assertOpen();
    return pgStoreInfo(this);
  }

  /** (`repair` has nothing to do here: PostgreSQL keeps its index itself) */
  check(_options?: { repair?: boolean }): Promise<CheckReport> {
    this.assertOpen();
    return checkPgStore(this);
  }

  /** Rebuilds the HNSW index (REINDEX: a fresh graph, built while searches keep using the old one). */
  async rebuild(_onProgress?: Progress): Promise<void> {
    await this.write('loom store rebuild', async () => {
      await this.db.query('REINDEX INDEX CONCURRENTLY {s}.vectors_hnsw').catch(() => this.db.query('REINDEX INDEX {s}.vectors_hnsw'));
    });
  }

  /** Rebuilds the index and vacuums the tables; returns the store's bytes before and after. */
  async compact(_onProgress?: Progress): Promise<{ before: number; after: number }> {
    const size = async () => ((await this.info()).bytes.sqlite + (await this.info()).bytes.hnsw);
    const before = await size();
    await this.rebuild();
    for (const t of ['sources', 'chunks', 'vectors']) await this.db.query(`VACUUM (ANALYZE) {s}.${t}`);
    return { before, after: await size() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new LoomError('STORE_IO', `store ${this.dir} is closed`);
  }
}

type PgOpenOptions = OpenStoreOptions & { embeddings?: StoreEmbedder; hnsw?: Partial<HnswParams> };

/**
 * Opens (or with `create`, creates) the store at a postgres:// URL: connects, checks pgvector,
 * migrates the schema, and sizes the vector table from the embedder on the first write.
 */
export async function openPgStore(url: string, options: PgOpenOptions = {}): Promise<PgStore> {
  const loc = parsePgLocation(url);
  const db = await PgConnection.open(loc, options.env);
  try {
    const { pgvector } = await migratePg(db, { create: (options.create ?? false) && !options.readonly });
    const probe = new PgBackend(db, 0, { toSql: String, fromSql: () => [] });
    const stored = await probe.getSetting<EmbedderSetting>('embedder');
    const { chooseEmbedder } = await import('../index.js');
    const { embedder, spec, reembed } = await chooseEmbedder(stored, loc.display, options);
    if (reembed) {
      throw new LoomError('USAGE', `re-embedding a PostgreSQL store is not supported yet (${loc.display} holds ${stored?.id} vectors)`, {
        hint: `ingest into a new store (another database or ?schema=), or keep --embedder ${stored?.spec}`,
      });
    }
    const hnsw: HnswParams = { ...DEFAULT_HNSW, ...(await probe.getSetting<HnswParams>('hnsw')), ...options.hnsw };
    if (!options.readonly) {
      await probe.setSetting('hnsw', hnsw);
      await db.tx(async (sql) => ensureVectors(sql, embedder.dimensions, hnsw));
    }
    const backend = await PgBackend.create(db, embedder.dimensions);
    backend.ef = hnsw.ef;
    backend.iterative = versionAtLeast(pgvector, [0, 8]);
    return new PgStore(db, backend, embedder, spec, hnsw, pgvector, options.readonly ?? false);
  } catch (error) {
    await db.close();
    throw error;
  }
}

function versionAtLeast(version: string, want: number[]): boolean {
  const have = version.split('.').map(Number);
  for (let i = 0; i < want.length; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i];
  return true;
}
