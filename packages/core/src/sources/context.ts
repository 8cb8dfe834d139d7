import picomatch from 'picomatch';
import type { HttpClient } from './http.js';
import type { SourceSink, SourceCounts } from './sink.js';
import type { SourceSpec } from './schema.js';
import type { LoomStore } from '../store/store.js';

/** What a kind gets to sync one source. */
export interface SourceRun<S extends SourceSpec = SourceSpec> {
  source: S;
  sink: SourceSink;
  http: HttpClient;
  counts: SourceCounts;
  store: LoomStore;
  /** the sources file's folder: relative paths resolve from it */
  dir: string;
  env: Record<string, string | undefined>;
  /** walk every list page and remove what is no longer listed (--full) */
  full: boolean;
  signal?: AbortSignal;
  /** a warning about one URL or file; the sync goes on */
  warn(where: string, message: string): void;
  progress(done: number, total: number, item?: string): void;
}

/** Runs `fn` over items with the HTTP client's concurrency; one item's failure is its own warning. */
export async function forEachItem<T>(run: SourceRun, items: T[], label: (item: T) => string, fn: (item: T) => Promise<void>): Promise<void> {
  let done = 0;
  run.progress(0, items.length);
  await Promise.all(items.map(async (item) => {
    try {
      await fn(item);
    } catch (error) {
      if (run.signal?.aborted) throw error;
      if (isStoreError(error)) throw error;
      run.counts.errors++;
      run.warn(label(item), (error as Error).message);
    }
    run.progress(++done, items.length, label(item));
  }));
}

function isStoreError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('STORE_') || code.startsWith('PROVIDER_'));
}

/** The source's include/exclude globs as one test (over a URL path or a file path). */
export function globFilter(source: { include?: string[]; exclude?: string[] }): (path: string) => boolean {
  const inc = source.include?.length ? picomatch(source.include, { dot: true }) : undefined;
  const exc = source.exclude?.length ? picomatch(source.exclude, { dot: true }) : undefined;
  return (path) => (!inc || inc(path)) && !(exc && exc(path));
}
