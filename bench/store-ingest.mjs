#!/usr/bin/env node
// Ingest of the real bilingual corpus (issue 4, benchmark 3), run by hand after `pnpm build`:
//   node bench/store-ingest.mjs [--corpus /work/shared/corpora/vue-docs]
// A fresh store with the local embedder: files, chunks and chunks per second; then the same
// corpus again, unchanged (files per second, nothing embedded); then `store check`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const core = (p) => new URL(`../packages/core/dist/${p}`, import.meta.url).href;
const { ingest } = await import(core('ingest/index.js'));
const { openStore } = await import(core('store/index.js'));

const { values: opts } = parseArgs({ options: { corpus: { type: 'string', default: '/work/shared/corpora/vue-docs' } } });
if (!existsSync(opts.corpus)) {
  console.error(`corpus not found: ${opts.corpus} (this benchmark needs the vue-docs corpus)`);
  process.exit(1);
}
const paths = [join(opts.corpus, 'en'), join(opts.corpus, 'zh')];
const dir = mkdtempSync(join(tmpdir(), 'storebench-ingest-'));
try {
  const first = await ingest({ paths, store: dir });
  const second = await ingest({ paths, store: dir });
  const store = await openStore(dir);
  const report = (await store.check());
  const info = (await store.info());
  store.close();
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
  console.log('\n| run | files | documents | chunks | embedded | seconds | rate |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| first ingest (local embedder) | ${first.files} | ${first.added} | ${first.chunks} | ${first.embedded} | ${first.seconds.toFixed(2)} | ${(first.chunks / first.seconds).toFixed(0)} chunks/s |`);
  console.log(`| again, unchanged | ${second.files} | ${second.unchanged} unchanged | ${second.chunks} | ${second.embedded} | ${second.seconds.toFixed(2)} | ${(second.files / second.seconds).toFixed(0)} files/s |`);
  console.log(`\nstore: ${info.chunks} chunks (${Object.entries(info.languages).map(([l, n]) => `${l} ${n}`).join(', ')}), SQLite ${(info.bytes.sqlite / 1048576).toFixed(1)} MB, index ${(info.bytes.hnsw / 1048576).toFixed(1)} MB; check: ${report.ok ? 'ok' : report.problems.join('; ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
