#!/usr/bin/env node
// PostgreSQL + pgvector store against the SQLite store on the same corpus, measured in the same
// run: ingest time and search p50 (vector, hybrid) over the example questions, as ratios.
// Without LOOM_BENCH_PG_URL the server is PGlite (PostgreSQL in WebAssembly) over the wire
// protocol: read the figures as a ratio for PGlite, not as what a native server does.
//   node bench/store-pg.mjs [--copies N]     (the example docs copied N times, default 4)
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = join(root, 'packages/core/dist');
const { ingest } = await import(join(core, 'ingest/index.js'));
const { openStore } = await import(join(core, 'store/index.js'));
const { openPgStore } = await import(join(core, 'store/pg/store.js'));
const copies = Number(process.argv[process.argv.indexOf('--copies') + 1]) || 4;

async function pglite() {
  const req = createRequire(join(root, 'packages/core/package.json'));
  const script = join(dirname(req.resolve('@electric-sql/pglite-socket')), 'scripts/server.js');
  const child = spawn(process.execPath, [script, '--port=0', '--max-connections=8', '--extensions=@electric-sql/pglite-pgvector:vector'], { cwd: join(root, 'packages/core') });
  const port = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = /listening on (\{.*\})/.exec(out); if (m) resolve(JSON.parse(m[1]).port); });
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: () => child.kill() };
}

const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function searchTimes(store, queries, mode) {
  const ms = [];
  for (const q of queries) { const t = performance.now(); await store.search(q, { k: 10, mode }); ms.push(performance.now() - t); }
  return p50(ms);
}

const work = mkdtempSync(join(tmpdir(), 'loom-bench-pg-'));
const corpus = join(work, 'docs');
for (let i = 0; i < copies; i++) cpSync(join(root, 'examples/community-docs'), join(corpus, `copy${i}`), { recursive: true });
const queries = readFileSync(join(root, 'examples/eval/questions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).query);
const server = process.env.LOOM_BENCH_PG_URL ? { url: process.env.LOOM_BENCH_PG_URL, stop() {} } : await pglite();
const url = `${server.url}${server.url.includes('?') ? '&' : '?'}schema=bench_${Date.now()}`;
try {
  let t = performance.now();
  const s = await ingest({ paths: [corpus], store: join(work, 'sqlite') });
  const sqliteIngest = (performance.now() - t) / 1000;
  t = performance.now();
  await ingest({ paths: [corpus], store: url });
  const pgIngest = (performance.now() - t) / 1000;
  const sqlite = await openStore(join(work, 'sqlite'));
  const pg = await openPgStore(url);
  const rows = [];
  for (const mode of ['vector', 'hybrid']) {
    await searchTimes(sqlite, queries.slice(0, 5), mode); await searchTimes(pg, queries.slice(0, 5), mode); // warm
    rows.push([mode, await searchTimes(sqlite, queries, mode), await searchTimes(pg, queries, mode)]);
  }
  sqlite.close(); await pg.close();
  console.log(`server: ${process.env.LOOM_BENCH_PG_URL ? 'LOOM_BENCH_PG_URL' : 'PGlite 0.5 + pgvector 0.8.7 over pglite-socket'}; corpus: example docs x${copies} = ${s.chunks} chunks, ${queries.length} queries`);
  console.log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`ingest        sqlite ${sqliteIngest.toFixed(1)} s   postgres ${pgIngest.toFixed(1)} s   ratio ${(pgIngest / sqliteIngest).toFixed(2)}x`);
  for (const [mode, a, b] of rows) console.log(`${mode.padEnd(6)} p50    sqlite ${a.toFixed(1)} ms   postgres ${b.toFixed(1)} ms   ratio ${(b / a).toFixed(2)}x`);
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
