import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LoomError } from '../errors.js';
import { locateStore } from '../locate/store.js';
import { storeError } from './errors.js';
import { SqliteDb } from './sqlite.js';
import { DEFAULT_HNSW, VectorIndex, type HnswParams } from './hnsw.js';
import { SqliteHnswBackend } from './local.js';
import { LoomStore, type EmbedderSetting, type StoreEmbedder } from './store.js';
import type { OpenStoreOptions } from './types.js';
import { isPostgresUrl } from './pg/url.js';
import type { PgStore } from './pg/store.js';

export type { SearchOptions, StoreInfo, CheckReport, OpenStoreOptions, DocumentStore, SearchMode } from './types.js';
export { LoomStore, type StoreEmbedder } from './store.js';
export { sqliteOf } from './local.js';

export const DB_FILE = 'loom.db';

/** The store for a command without a pipeline: --store, else LOOM_STORE, else ./.loom (locate/store.ts decides). */
export function defaultStoreDir(flag?: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  return locateStore({ flag, env, cwd }).location;
}

async function resolveEmbedder(spec: string, env?: Record<string, string | undefined>): Promise<StoreEmbedder> {
  if (spec.startsWith('langchain:')) {
    throw new LoomError('STORE_EMBEDDER_MISMATCH', `this store was written through LangChain with embeddings ${spec.slice(10)}, which the CLI cannot create`, {
      hint: 'open it with LoomVectorStore.open(dir, embeddings) in code, or ingest into a store with --embedder local|openai:MODEL',
    });
  }
  const { createEmbedder } = await import('../embeddings/index.js');
  const handle = await createEmbedder(spec, env);
  return handle;
}

/**
 * Creates a directory level by level. mkdirSync({recursive: true}) never returns on some special
 * file systems (a path under /proc/self loops forever in Node 20); one level at a time fails cleanly.
 */
export function ensureDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new LoomError('STORE_IO', `${dir} exists and is not a directory`, {
        file: dir,
        hint: 'a store is a folder: pass --store (or LOOM_STORE) a folder path, new or holding a store',
      });
    }
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new LoomError('STORE_IO', `cannot create the store directory ${dir}: ${(error as Error).message}`, { file: dir, cause: error, hint: 'pass --store a directory you can write to' });
  }
}

/**
 * A new store takes its dimension from a real embedding: a model table can be wrong for a server
 * (a local OpenAI-compatible server, a model with a `dimensions` option), and the index cannot
 * change its dimension once built.
 */
async function probeDimensions(embedder: StoreEmbedder): Promise<StoreEmbedder> {
  const [probe] = await embedder.embedMany(['dimension probe']);
  return !probe || probe.length === embedder.dimensions ? embedder : withDimensions(embedder, probe.length);
}

function unavailableEmbedder(stored: EmbedderSetting, error: unknown): StoreEmbedder {
  const fail = (): never => { throw error; };
  return { id: stored.id, dimensions: stored.dimensions, embedMany: async () => fail(), embedQuery: async () => fail() };
}

function withDimensions(embedder: StoreEmbedder, dimensions: number): StoreEmbedder {
  return {
    id: embedder.id,
    dimensions,
    embedMany: (texts, signal) => embedder.embedMany(texts, signal),
    embedQuery: embedder.embedQuery ? (text, signal) => embedder.embedQuery!(text, signal) : undefined,
  };
}

/** The spec that recreates an embedder from its id, where the CLI can ('local:hash-v1:384' -> 'local:384'). */
function specOf(id: string): string {
  const local = /^local:hash-v\d+:(\d+)$/.exec(id);
  if (local) return `local:${local[1]}`;
  return /^(openai|transformers):/.test(id) ? id.replace(/:\d+$/, '') : id.startsWith('langchain:') ? id : `langchain:${id}`;
}

/**
 * Opens (or with `create`, creates) a store directory. The store remembers its embedder: opening
 * it with another is refused unless `reembed`. A missing, stale or foreign HNSW file is repaired
 * from SQLite here, so every open starts consistent.
 */
export async function openStore(dir: string, options: OpenOptions = {}): Promise<LoomStore> {
  const root = resolve(dir);
  const dbFile = join(root, DB_FILE);
  if (!existsSync(dbFile)) {
    if (!options.create || options.readonly) {
      throw new LoomError('STORE_NOT_FOUND', `no store at ${root}`, { file: root, hint: 'run `loom ingest PATH` first (or pass --store DIR / set LOOM_STORE to an existing store)' });
    }
    ensureDir(root);
  }
  const db = new SqliteDb(dbFile, { readonly: options.readonly });
  try {
    return await openOn(db, root, options);
  } catch (error) {
    db.close();
    throw storeError(error, root);
  }
}

/**
 * Opens the store at a location for search and maintenance: a folder (SQLite + HNSW) or a
 * postgres:// URL (PostgreSQL + pgvector, imported only then). Both answer the same searches.
 */
export async function openDocumentStore(location: string, options: OpenOptions = {}): Promise<LoomStore | PgStore> {
  if (isPostgresUrl(location)) {
    const { openPgStore } = await import('./pg/store.js');
    return openPgStore(location, options);
  }
  return openStore(location, options);
}

type OpenOptions = OpenStoreOptions & { embeddings?: StoreEmbedder; hnsw?: Partial<HnswParams> };

/**
 * The embedder a store opens with, for both backends: the one it remembers unless another is
 * asked for (refused without `reembed`); a new store's dimension probed from a real embedding.
 */
export async function chooseEmbedder(stored: EmbedderSetting | undefined, name: string, options: OpenOptions): Promise<{ embedder: StoreEmbedder; spec: string; reembed: boolean }> {
  const spec = options.embedder ?? stored?.spec ?? 'local';
  let embedder = options.embeddings ?? (await resolveEmbedder(spec, options.env).catch((error: unknown) => {
    // info, check and lexical search need no embedder (e.g. no API key here): fail only on use
    if (!stored || options.embedder !== undefined) throw error;
    return unavailableEmbedder(stored, error);
  }));
  // (embeddings passed in, as LoomVectorStore does, come with their dimension already known)
  if (!stored && !options.readonly && !options.embeddings) embedder = await probeDimensions(embedder);
  else if (stored && stored.id === embedder.id && stored.dimensions !== embedder.dimensions) embedder = withDimensions(embedder, stored.dimensions);
  if (stored && stored.id !== embedder.id && !options.reembed) {
    throw new LoomError('STORE_EMBEDDER_MISMATCH', `store ${name} was built with embedder ${stored.id}; this run uses ${embedder.id}`, {
      file: name,
      hint: `use --embedder ${stored.spec} (or leave it out), or add --reembed to re-embed everything with ${spec}`,
    });
  }
  return { embedder, spec: options.embeddings ? stored?.spec ?? specOf(embedder.id) : spec, reembed: stored !== undefined && stored.id !== embedder.id };
}

async function openOn(db: SqliteDb, root: string, options: OpenOptions): Promise<LoomStore> {
  const stored = db.getSetting<EmbedderSetting>('embedder');
  const { embedder, spec, reembed } = await chooseEmbedder(stored, root, options);
  const hnsw: HnswParams = { ...DEFAULT_HNSW, ...db.getSetting<HnswParams>('hnsw'), ...options.hnsw };
  if (!options.readonly && !db.getSetting('hnsw')) db.setSetting('hnsw', hnsw);
  if (!options.readonly && options.hnsw) db.setSetting('hnsw', hnsw);
  // a re-embed switches dimensions: the index follows the stored vectors, which follow the new embedder
  const backend = new SqliteHnswBackend(root, db, new VectorIndex(db, root, embedder.dimensions, hnsw), embedder.dimensions, hnsw);
  const store = new LoomStore(root, backend, embedder, spec, options.readonly ?? false);
  store.reembedPending = reembed || db.getSetting('reembed') !== undefined;
  await backend.open({ readonly: options.readonly ?? false, rebuild: store.reembedPending, onProgress: options.onProgress });
  return store;
}
