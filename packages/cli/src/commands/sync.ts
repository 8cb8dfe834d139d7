import type { SourceSummary, SyncOptions, SyncSummary } from '@promptloom/core';
import { LoomError } from '@promptloom/core/spec';
import { type Io, isInteractive, writeJson } from '../io.js';
import { createProgress, type Progress } from '../progress.js';
import { interruptSignal, type RegisterCommand } from './types.js';

interface SyncFlags {
  sources?: string;
  store?: string;
  only?: string[];
  full?: boolean;
  embedder?: string;
  json?: boolean;
  watch?: boolean;
  every?: string;
}

/** One summary line per source: what was fetched, what changed, what failed. */
export function sourceLine(s: SourceSummary): string {
  const parts = [`${s.fetched} fetched`, `${s.notModified} not modified`, `${s.added} added`, `${s.updated} updated`, `${s.removed} removed`, `${s.skipped} skipped`, `${s.errors} error${s.errors === 1 ? '' : 's'}`];
  const tail = `${s.requests} requests, ${s.embedded} embedded, ${s.seconds.toFixed(1)} s`;
  return `${s.name} (${s.kind}): ${parts.join(', ')} (${tail})${s.error ? ` — failed: ${s.error.message}` : ''}`;
}

/** '30m', '1h', '45s', '2h30m' -> milliseconds. */
export function parseInterval(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  const ms = m ? ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000 : 0;
  if (!m || ms <= 0) throw new LoomError('USAGE', `--every: "${text}" is not an interval`, { hint: 'e.g. --every 30m, --every 1h, --every 2h30m' });
  return ms;
}

/** A bar per source on a terminal; nothing in pipes and CI, where the summary lines are the record. */
function progressBars(io: Io): { onProgress: NonNullable<SyncOptions['onProgress']>; stop: () => void } {
  const bars = new Map<string, Promise<Progress>>();
  let current: Promise<Progress> | undefined;
  return {
    onProgress(p) {
      if (!isInteractive(io)) return;
      let bar = bars.get(p.source);
      if (!bar) {
        void current?.then((b) => b.stop());
        bar = createProgress(io, p.source.padEnd(12)).then((b) => { b.start(p.total); return b; });
        bars.set(p.source, bar);
        current = bar;
      }
      void bar.then((b) => b.update(p.done, p.item ?? ''));
    },
    stop() { void current?.then((b) => b.stop()); },
  };
}

async function syncOnce(io: Io, flags: SyncFlags, signal: AbortSignal | undefined): Promise<SyncSummary> {
  const core = await import('@promptloom/core');
  const progress = progressBars(io);
  try {
    return await core.syncSources({
      sources: flags.sources,
      store: flags.store,
      only: flags.only,
      full: flags.full,
      embedder: flags.embedder,
      cwd: io.cwd,
      env: io.env,
      signal,
      onProgress: progress.onProgress,
      onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
    });
  } finally {
    progress.stop();
  }
}

function report(io: Io, summary: SyncSummary, json: boolean | undefined): void {
  if (json) return writeJson(io, summary);
  for (const s of summary.sources) io.stdout.write(sourceLine(s) + '\n');
  io.stdout.write(`synced ${summary.sources.length} source${summary.sources.length === 1 ? '' : 's'} in ${summary.seconds.toFixed(1)} s -> ${summary.store}\n`);
}

export const register: RegisterCommand = (program, io, setExit) => {
  program
    .command('sync')
    .description("keep the store in step with your community's sources: docs sites, forums, GitHub, git repositories, folders")
    .option('--sources <file>', 'the sources file (default: loom.sources.yaml)')
    .option('--store <dir>', "store folder (default: the sources file's store:, else LOOM_STORE, else ./.loom)")
    .option('--only <name...>', 'sync only these sources')
    .option('--full', 'list forums and GitHub completely and remove what is gone (sitemaps, git and folders always do)')
    .option('--embedder <spec>', 'embedder for a new store (default: the store\'s, else local)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--watch', 'sync again and again, every --every (default 30m), until Ctrl-C')
    .option('--every <interval>', 'with --watch: time between syncs, e.g. 30m, 1h', '30m')
    .addHelpText('after', `
Each source is incremental: sitemaps by lastmod and conditional GETs, Discourse by bump time,
GitHub by updatedAt, git by the diff since the last synced commit, folders by content hash.
Deleted pages, topics and files leave the store. A sync killed halfway resumes on the next run.

Examples:
  loom sync                              every source in ./loom.sources.yaml
  loom sync --only forum --json          one source, summary as JSON
  loom sync --watch --every 1h           keep syncing (Ctrl-C stops)`)
    .action(async (flags: SyncFlags) => {
      const interval = flags.watch ? parseInterval(flags.every ?? '30m') : 0;
      const signal = interruptSignal();
      for (;;) {
        const summary = await syncOnce(io, flags, signal);
        report(io, summary, flags.json);
        if (summary.sources.some((s) => s.error)) setExit(2);
        if (!flags.watch) return;
        if (!(await pause(interval, signal))) return;
      }
    });
};

/** Waits `ms`; false when interrupted (Ctrl-C ends --watch cleanly). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(false); }, { once: true });
  });
}
