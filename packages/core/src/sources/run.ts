import { resolve } from 'node:path';
import { LoomError, isLoomError } from '../errors.js';
import { ensureDir, openStore } from '../store/index.js';
import { locateStore } from '../locate/store.js';
import { acquireLock } from '../store/lock.js';
import { SOURCE_WEIGHTS_SETTING, type LoomStore } from '../store/store.js';
import type { RetryPolicy } from '../engine/retry.js';
import { HttpClient } from './http.js';
import { HostGate } from './politeness.js';
import { emptyCounts, SourceSink, type SourceCounts } from './sink.js';
import type { SourceRun } from './context.js';
import type { SourceSpec, SourcesFile } from './schema.js';
import { DEFAULT_SOURCES_FILE, loadSources } from './load.js';

export interface SyncOptions {
  /** the sources file (default loom.sources.yaml in cwd), or one already loaded */
  sources?: string | SourcesFile;
  /** --store; else the file's `store:`, else LOOM_STORE, else .loom (locate/store.ts) */
  store?: string;
  /** sync only the sources with these names */
  only?: string[];
  /** list everything and remove what is no longer listed (forums and GitHub; sitemaps and git always do) */
  full?: boolean;
  embedder?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  lockWaitMs?: number;
  onProgress?: (p: { source: string; done: number; total: number; item?: string }) => void;
  onWarning?: (message: string) => void;
  /** tests shorten the retry waits */
  retry?: RetryPolicy;
}

export interface SourceSummary extends SourceCounts {
  name: string;
  kind: SourceSpec['kind'];
  seconds: number;
  /** set when the source failed as a whole (its list could not be read); other sources still ran */
  error?: { code: string; message: string };
}

export interface SyncSummary {
  store: string;
  sources: SourceSummary[];
  seconds: number;
}

type KindRunner = (run: SourceRun) => Promise<void>;

/** Each kind's module, imported only when a source of that kind runs. */
const KINDS: Record<SourceSpec['kind'], () => Promise<KindRunner>> = {
  path: async () => (await import('./kinds/path.js')).syncPath as KindRunner,
  sitemap: async () => (await import('./kinds/sitemap.js')).syncSitemap as KindRunner,
  discourse: async () => (await import('./kinds/discourse.js')).syncDiscourse as KindRunner,
  github: async () => (await import('./kinds/github.js')).syncGithub as KindRunner,
  git: async () => (await import('./kinds/git.js')).syncGit as KindRunner,
};

/**
 * Brings a store in step with the sources of a sources file, incrementally per kind, holding
 * the store's writer lock throughout. A source that fails as a whole is reported in its summary
 * and the others still run; one bad page is a warning. See docs/sources.md.
 */
export async function syncSources(options: SyncOptions = {}): Promise<SyncSummary> {
  const t0 = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = typeof options.sources === 'object' ? options.sources : loadSources(options.sources ?? DEFAULT_SOURCES_FILE, cwd);
  const selected = selectSources(file.sources, options.only);
  // the one store rule (locate/store.ts): --store, else the sources file's store:, else LOOM_STORE, else ./.loom
  const dir = locateStore({ flag: options.store, pipeline: { file: file.file, dir: file.dir, spec: { store: file.store } }, env, cwd }).location;
  ensureDir(dir);
  const lock = await acquireLock(dir, `loom sync ${selected.map((s) => s.name).join(' ')}`.slice(0, 200), options.lockWaitMs);
  try {
    const store = await openStore(dir, { embedder: options.embedder, create: true, env });
    try {
      const gate = new HostGate();
      const sources = await store.write('loom sync', async () => {
        // every source of the file, not only --only's: search reads the weights from here
        await store.backend.setSetting(SOURCE_WEIGHTS_SETTING, Object.fromEntries(file.sources.map((s) => [s.name, s.weight])));
        const out: SourceSummary[] = [];
        for (const source of selected) out.push(await syncOne(store, source, file.dir, gate, options, env));
        return out;
      }, { lock });
      return { store: dir, sources, seconds: round((performance.now() - t0) / 1000) };
    } finally {
      store.close();
    }
  } finally {
    lock.release();
  }
}

function selectSources(sources: SourceSpec[], only: string[] | undefined): SourceSpec[] {
  if (!only?.length) return sources;
  const names = new Set(sources.map((s) => s.name));
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new LoomError('USAGE', `--only: no source named ${unknown.map((n) => `"${n}"`).join(', ')}`, { hint: `the sources are: ${[...names].join(', ')}` });
  }
  return sources.filter((s) => only.includes(s.name));
}

async function syncOne(store: LoomStore, source: SourceSpec, dir: string, gate: HostGate, options: SyncOptions, env: Record<string, string | undefined>): Promise<SourceSummary> {
  const t0 = performance.now();
  const counts = emptyCounts();
  const http = new HttpClient({ rate: source.rate, concurrency: source.concurrency, timeoutMs: source.timeout_s * 1000, maxBytes: source.max_page_mb * 1048576, retry: options.retry, signal: options.signal, gate });
  const sink = new SourceSink(store, source, counts, options.signal);
  await sink.open();
  const run: SourceRun = {
    source, sink, http, counts, store, dir, env, full: options.full ?? false, signal: options.signal,
    warn: (where, message) => options.onWarning?.(`${source.name}: ${message.includes(where) ? message : `${where}: ${message}`}`),
    progress: (done, total, item) => options.onProgress?.({ source: source.name, done, total, item }),
  };
  let error: SourceSummary['error'];
  try {
    await (await KINDS[source.kind]())(run);
  } catch (e) {
    if (options.signal?.aborted || (isLoomError(e) && (e.code.startsWith('STORE_') || e.code.startsWith('PROVIDER_')))) throw e;
    // what was fetched before the failure is kept (and its state with it)
    await sink.flush().catch(() => undefined);
    const err = e as { code?: string; message?: string };
    error = { code: typeof err.code === 'string' ? err.code : 'SYNC_SOURCE_FAILED', message: err.message ?? String(e) };
    counts.errors++;
    options.onWarning?.(`${source.name}: ${error.message}`);
  }
  counts.requests = http.requests;
  return { name: source.name, kind: source.kind, ...counts, seconds: round((performance.now() - t0) / 1000), ...(error ? { error } : {}) };
}

function round(s: number): number {
  return Math.round(s * 100) / 100;
}
