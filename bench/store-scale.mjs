#!/usr/bin/env node
// A store of many chunks (issue 4, benchmark 4), run by hand after `pnpm build`; run it last:
//   node bench/store-scale.mjs [--chunks 250000] [--keep DIR]
// Writes generated Markdown pages (10 sections each, every 5th page Chinese), ingests them with
// the local embedder (512 dimensions), then in a fresh process: store open time, resident memory,
// and p50 latency of hybrid, vector, lexical and filtered searches. At --chunks 1000000 this takes
// hours on a small machine; docs/benchmarks.md says which size was measured and what is projected.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const core = (p) => new URL(`../packages/core/dist/${p}`, import.meta.url).href;
const { values: opts } = parseArgs({
  options: {
    chunks: { type: 'string', default: '250000' },
    keep: { type: 'string' },
    measure: { type: 'string' }, // internal: the fresh measuring process
  },
});

// Zipf-distributed vocabularies, as in real text: a few words everywhere, most words rare
const BASE = ('queue worker retry backoff schedule cron delay priority redis lock shutdown progress event handler timeout payload ' +
  'batch limit tenant token bucket metric trace log config cluster node replica snapshot index vector search chunk store ' +
  'embed filter prune rename sync crash commit component reactive render template directive slot prop emit watcher').split(' ');
const SYLLABLES = 'ka lo mi ne tu ra se vo pi da ge lu fa zo ry che qua bri ton mel'.split(' ');
const HAN = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质'.split('');
let seed = 3;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
function zipf(size) {
  const weights = Array.from({ length: size }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  return () => {
    const r = rnd();
    let lo = 0, hi = size - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < r) lo = mid + 1; else hi = mid; }
    return lo;
  };
}
const EN = [...BASE, ...Array.from({ length: 30000 }, (_, i) => SYLLABLES[i % 20] + SYLLABLES[Math.floor(i / 20) % 20] + (i >= 400 ? SYLLABLES[Math.floor(i / 400) % 20] : ''))];
const ZH = Array.from({ length: 20000 }, (_, i) => HAN[i % HAN.length] + HAN[Math.floor(i / HAN.length) % HAN.length]);
const enWord = zipf(EN.length), zhWord = zipf(ZH.length);

if (opts.measure) {
  await measure(opts.measure);
  process.exit(0);
}

const chunks = Number(opts.chunks);
const root = opts.keep ?? mkdtempSync(join(tmpdir(), 'storebench-scale-'));
const docs = join(root, 'docs');
const store = join(root, 'store');
const pages = Math.ceil(chunks / 10);
for (let p = 0; p < pages; p++) {
  const zh = p % 5 === 0;
  const dir = join(docs, `part${p % 100}`);
  if (p < 100) mkdirSync(dir, { recursive: true });
  const out = [`# Page ${p}\n`];
  for (let s = 0; s < 10; s++) {
    out.push(`## ${zh ? ZH[zhWord()] + ZH[zhWord()] : EN[enWord()] + ' ' + EN[enWord()]} ${s}\n`);
    const words = Array.from({ length: zh ? 130 : 110 }, () => (zh ? ZH[zhWord()] : EN[enWord()]));
    out.push(`${words.join(zh ? '' : ' ')} p${p}s${s}.\n`);
  }
  writeFileSync(join(dir, `page-${p}.md`), out.join('\n'));
}
console.log(`wrote ${pages} pages under ${docs}`);

const { ingest } = await import(core('ingest/index.js'));
let last = 0;
const summary = await ingest({
  paths: [docs], store,
  onProgress: (p) => {
    if (p.phase === 'ingest' && p.done - last >= Math.max(1000, p.total / 20)) {
      last = p.done;
      console.log(`  ${p.done}/${p.total} files, ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB RSS`);
    }
  },
});
console.log(`ingest: ${summary.chunks} chunks in ${summary.seconds.toFixed(0)} s = ${(summary.chunks / summary.seconds).toFixed(0)} chunks/s`);
const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--measure', store], { stdio: 'inherit' });
if (r.status !== 0) process.exitCode = 1;
if (!opts.keep) rmSync(root, { recursive: true, force: true });

async function measure(dir) {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const { openStore, sqliteOf } = await import(core('store/index.js'));
  const store = await openStore(dir, { readonly: true });
  const openMs = performance.now() - t0;
  const info = (await store.info());
  const queries = ['retry backoff for a failed worker', 'cron schedule delay priority', '的一是 在不 队列', 'token bucket rate limit per tenant', '中大 为上 个国'];
  const cases = [['hybrid', {}], ['vector', { mode: 'vector' }], ['lexical', { mode: 'lexical' }], ['hybrid, lang=zh (20%)', { lang: 'zh' }], ['vector, source glob 1%', { mode: 'vector', filter: { source: 'part7/**' } }]];
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
  console.log(`store: ${info.chunks} chunks, ${info.sources} sources; SQLite ${(info.bytes.sqlite / 2 ** 30).toFixed(2)} GB, index ${(info.bytes.hnsw / 2 ** 30).toFixed(2)} GB`);
  console.log(`open: ${(openMs / 1000).toFixed(2)} s (index ${sqliteOf(store).index.state}); RSS after open ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (process baseline ${(rss0 / 2 ** 20).toFixed(0)} MB)`);
  console.log('\n| search | p50 ms | p95 ms |\n| --- | ---: | ---: |');
  for (const [label, o] of cases) {
    const lat = [];
    for (let round = 0; round < 8; round++) {
      for (const q of queries) {
        const t = performance.now();
        await store.search(q, { k: 10, ...o });
        lat.push(performance.now() - t);
      }
    }
    lat.sort((a, b) => a - b);
    console.log(`| ${label} | ${lat[Math.floor(lat.length / 2)].toFixed(1)} | ${lat[Math.floor(lat.length * 0.95)].toFixed(1)} |`);
  }
  console.log(`\nRSS after searching ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB; peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  store.close();
}
