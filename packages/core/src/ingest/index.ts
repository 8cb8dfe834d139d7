import { resolve } from 'node:path';
import { retrainIfStale } from '../learned/lifecycle.js';
import { LoomError } from '../errors.js';
import { ensureDir, openStore } from '../store/index.js';
import type { LoomStore } from '../store/store.js';
import { acquireLock } from '../store/lock.js';
import { isPostgresUrl } from '../store/pg/url.js';
import { walk, type WalkResult } from './walk.js';
import { IngestRun, type IngestSummary } from './run.js';

export type { IngestSummary } from './run.js';
export { walk, SUPPORTED_EXTENSIONS } from './walk.js';

export interface IngestProgress {
  phase: string;
  done: number;
  total: number;
  file?: string;
}

export interface IngestOptions {
  paths: string[];
  store: string;
  /** embedder spec; default: the store's, else 'local' */
  embedder?: string;
  /** remove documents whose files are no longer under the given folders */
  prune?: boolean;
  /** accept a different embedder and re-embed every stored chunk with it */
  reembed?: boolean;
  /** train (or refresh) the store's learned space after the ingest; default true */
  learn?: boolean;
  /** chunk size and overlap in characters (stored; changing them re-chunks every file) */
  chunkSize?: number;
  chunkOverlap?: number;
  /** files larger than this are skipped with a warning (default 10 MB) */
  maxFileBytes?: number;
  /** metadata merged into every document's (a sync source's name and kind) */
  meta?: Record<string, unknown>;
  onProgress?: (p: IngestProgress) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** how long a second writer waits for the lock before STORE_LOCKED (default 3 s) */
  lockWaitMs?: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

async function learn(store: LoomStore, options: IngestOptions): Promise<NonNullable<IngestSummary['learned']>> {
  const t0 = performance.now();
  const result = await retrainIfStale(store, { onProgress: (done, total) => options.onProgress?.({ phase: 'learn', done, total }) });
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Syncs files and folders into a store: new and changed documents are chunked, embedded (only
 * chunks whose text is not already stored) and written one transaction per document; renamed
 * files keep their vectors; `prune` removes documents whose files are gone. Running it twice in a
 * row embeds nothing the second time.
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const t0 = performance.now();
  if (options.chunkSize !== undefined && (!Number.isInteger(options.chunkSize) || options.chunkSize < 100)) {
    throw new LoomError('USAGE', `chunk size must be a whole number of characters ≥ 100 (got ${options.chunkSize})`);
  }
  const walked = walk(options.paths, options.cwd);
  if (isPostgresUrl(options.store)) return ingestPg(options, walked, t0);
  const dir = resolve(options.cwd ?? process.cwd(), options.store);
  ensureDir(dir);
  // lock before opening: a second ingest must not first replay the running one's changes
  const lock = await acquireLock(dir, `loom ingest ${options.paths.join(' ')}`.slice(0, 200), options.lockWaitMs);
  try {
    const store = await openStore(dir, { embedder: options.embedder, create: true, reembed: options.reembed, env: options.env, onProgress: options.onProgress });
    try {
      return await store.write('loom ingest', async () => {
        const run = new IngestRun(store, walked, options);
        if (store.reembedPending) await store.reembedAll(options.onProgress, options.signal);
        await run.files();
        if (options.prune) await run.prune();
        const summary = run.finish(t0);
        if (options.learn !== false) summary.learned = await learn(store, options);
        return summary;
      }, { lock });
    } finally {
      store.close();
    }
  } finally {
    lock.release();
  }
}

/** The same ingest into a PostgreSQL store, under its advisory writer lock. */
async function ingestPg(options: IngestOptions, walked: WalkResult, t0: number): Promise<IngestSummary> {
  const { openPgStore } = await import('../store/pg/store.js');
  const store = await openPgStore(options.store, { embedder: options.embedder, create: true, reembed: options.reembed, env: options.env });
  try {
    return await store.write(`loom ingest ${options.paths.join(' ')}`.slice(0, 200), async () => {
      const run = new IngestRun(store, walked, options);
      await run.files();
      if (options.prune) await run.prune();
      return run.finish(t0);
    }, { waitMs: options.lockWaitMs });
  } finally {
    await store.close();
  }
}
