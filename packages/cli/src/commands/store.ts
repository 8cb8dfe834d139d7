import type { CheckReport, LoomStore, PgStore, SpaceInfo, StoreInfo } from '@promptloom/core';
import { type Io, isInteractive, writeJson } from '../io.js';
import { createProgress, type Progress } from '../progress.js';
import { STORE_HELP, existingStore } from '../store-flag.js';
import type { RegisterCommand } from './types.js';

interface StoreFlags {
  store?: string;
  json?: boolean;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

function printInfo(info: StoreInfo, learned: SpaceInfo | undefined, io: Io): void {
  const langs = Object.entries(info.languages).map(([l, n]) => `${l} ${n}`).join(', ') || 'none';
  const h = info.hnsw;
  io.stdout.write([
    `store     ${info.dir}`,
    `embedder  ${info.embedder.id} (${info.embedder.dimensions} dimensions, spec "${info.embedder.spec}")`,
    `content   ${info.sources} sources, ${info.chunks} chunks (${langs})`,
    `chunker   ${JSON.stringify(info.chunker)}`,
    `index     ${h.file ?? 'not written yet'}: ${h.elements} elements, ${h.deleted} deleted; M ${h.m}, efConstruction ${h.efConstruction}, ef ${h.ef}; generation ${h.generation}/${h.storeGeneration}`,
    `size      SQLite ${mb(info.bytes.sqlite)}, index ${mb(info.bytes.hnsw)}`,
    `schema    v${info.schemaVersion}`,
    `learned   ${learned ? `${learned.chunks} chunks in ${learned.dim} dimensions, ${learned.terms} terms, ${learned.pairs} translated page groups; trained on ${learned.trainedChunks} chunks at ${learned.trainedAt}; ${mb(learned.bytes)}` : 'no space trained (loom store retrain)'}`,
  ].join('\n') + '\n');
}

function printCheck(report: CheckReport, dir: string, io: Io): void {
  const s = report.sqlite;
  if (report.ok) {
    io.stdout.write(`ok: ${dir}: ${s.sources} sources, ${s.chunks} chunks; SQLite and the index agree (${report.hnsw.live} live, ${report.hnsw.deleted} deleted, index file generation ${report.hnsw.fileGeneration}/${report.hnsw.storeGeneration})\n`);
    for (const note of report.notes) io.stdout.write(`note: ${note}\n`);
    return;
  }
  io.stderr.write(`store ${dir} has ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}:\n`);
  for (const p of report.problems) io.stderr.write(`  - ${p}\n`);
  io.stderr.write('hint: `loom store rebuild` rewrites the index from SQLite; SQLite problems need a fresh ingest into a new store\n');
}

async function withStore<T>(io: Io, flags: StoreFlags, fn: (store: LoomStore | PgStore, bar: (label: string) => Promise<(p: { done: number; total: number }) => void>) => Promise<T>): Promise<T> {
  const core = await import('@promptloom/core');
  let bar: Progress | undefined;
  const makeBar = async (label: string) => {
    bar = await createProgress(io, label);
    let started = false;
    return (p: { done: number; total: number }) => {
      if (!started) { bar!.start(p.total); started = true; }
      bar!.update(p.done);
    };
  };
  const openBar = isInteractive(io) ? await makeBar('index') : undefined;
  const store = await core.openDocumentStore(existingStore(flags.store, io).location, { env: io.env, onProgress: openBar });
  bar?.stop();
  try {
    return await fn(store, makeBar);
  } finally {
    bar?.stop();
    await store.close();
  }
}

export const register: RegisterCommand = (program, io, setExit) => {
  const store = program.command('store').description('inspect and maintain the document store');
  const common = (cmd: ReturnType<typeof store.command>) =>
    cmd.option('--store <dir>', STORE_HELP).option('--json', 'print the result as JSON');

  common(store.command('info').description('embedder, counts per language, index parameters and sizes'))
    .action(async (flags: StoreFlags) => {
      await withStore(io, flags, async (s) => {
        const info = await s.info();
        const learned = (await import('@promptloom/core')).describeSpace(s.dir);
        if (flags.json) writeJson(io, { ...info, learned: learned ?? null });
        else printInfo(info, learned, io);
      });
    });

  common(store.command('check').description('verify that SQLite and the HNSW index agree (exit 2 when they do not)'))
    .option('--repair', 'first catch up an index file that is behind (takes the writer lock)')
    .action(async (flags: StoreFlags & { repair?: boolean }) => {
      await withStore(io, flags, async (s) => {
        const report = await s.check({ repair: flags.repair });
        if (flags.json) writeJson(io, report);
        else printCheck(report, s.dir, io);
        if (!report.ok) setExit(2);
      });
    });

  common(store.command('rebuild').description('rebuild the HNSW index from SQLite'))
    .action(async (flags: StoreFlags, ) => {
      await withStore(io, flags, async (s, bar) => {
        const t0 = performance.now();
        await s.rebuild(await bar('rebuild'));
        const info = (await s.info());
        const seconds = (performance.now() - t0) / 1000;
        if (flags.json) writeJson(io, { rebuilt: info.hnsw.elements, seconds });
        else io.stdout.write(`rebuilt the index of ${s.dir}: ${info.hnsw.elements} vectors in ${seconds.toFixed(1)} s\n`);
      });
    });

  common(store.command('compact').description('rewrite the index without deleted entries, optimise full-text, vacuum SQLite'))
    .action(async (flags: StoreFlags) => {
      await withStore(io, flags, async (s, bar) => {
        const { before, after } = await s.compact(await bar('compact'));
        if (flags.json) writeJson(io, { before, after });
        else io.stdout.write(`compacted ${s.dir}: ${mb(before)} -> ${mb(after)}\n`);
      });
    });

  common(store.command('retrain').description('train the learned retrieval space again from every chunk of the store'))
    .action(async (flags: StoreFlags) => {
      await withStore(io, flags, async (s, bar) => {
        const core = await import('@promptloom/core');
        if ('kind' in s && s.kind === 'postgres') throw new core.LoomError('USAGE', 'the learned space is kept by directory stores only for now', { hint: 'a PostgreSQL store searches without the learned list (docs/text.md, "The learned space")' });
        const t0 = performance.now();
        const onProgress = await bar('learn');
        const result = await s.write('loom store retrain', () => core.retrainIfStale(s, { force: true, onProgress: (done, total) => onProgress({ done, total }) }), { save: false });
        const seconds = (performance.now() - t0) / 1000;
        if (flags.json) writeJson(io, { ...result, seconds });
        else if (result.status === 'too-small') io.stdout.write(`not trained: ${s.dir} has ${result.chunks} chunks; the learned space needs at least ${core.LEARNED_MIN_CHUNKS}\n`);
        else io.stdout.write(`trained the learned space of ${s.dir}: ${result.chunks} chunks, ${result.pairs} translated page groups, in ${seconds.toFixed(1)} s\n`);
      });
    });
};
