#!/usr/bin/env node
// Training cost of the learned space (issue 16), run after `pnpm build`:
//   node bench/learned.mjs [--chunks 250000] [--corpus DIR]
// Without --corpus: a synthetic bilingual corpus of Zipf-distributed words (one page in five has
// a Chinese translation with its own vocabulary), held in memory so only training is measured.
// With --corpus DIR (e.g. a checkout of the Vue docs, vuejs/docs, CC BY 4.0): the corpus is
// ingested into a temporary store first (without training) and its chunks are trained on.
// Baseline in the same run: tokenizing the same chunks once (what the lexical index does at ingest).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const core = (p) => new URL(`../packages/core/dist/${p}`, import.meta.url).href;
const { trainSpace } = await import(core('learned/space.js'));
const { tokenize } = await import(core('text/segment.js'));
const { values: opts } = parseArgs({ options: { chunks: { type: 'string', default: '250000' }, corpus: { type: 'string' } } });

let seed = 11;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
function zipf(size) {
  const cdf = [];
  let acc = 0;
  const total = Array.from({ length: size }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0);
  for (let i = 0; i < size; i++) cdf.push((acc += 1 / (i + 1) / total));
  return () => {
    const r = rnd();
    let lo = 0, hi = size - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < r) lo = mid + 1; else hi = mid; }
    return lo;
  };
}
const SYL = 'ka lo mi ne tu ra se vo pi da ge lu fa zo ry che qua bri ton mel'.split(' ');
const HAN = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研'.split('');
const EN = Array.from({ length: 30000 }, (_, i) => SYL[i % 20] + SYL[Math.floor(i / 20) % 20] + (i >= 400 ? SYL[Math.floor(i / 400) % 20] : ''));
const ZH = Array.from({ length: 20000 }, (_, i) => HAN[i % HAN.length] + HAN[Math.floor(i / HAN.length) % HAN.length]);

function synthetic(n) {
  const word = zipf(EN.length);
  const rows = [];
  for (let p = 0; rows.length < n; p++) {
    const sections = Array.from({ length: 10 }, () => Array.from({ length: 110 }, word));
    const add = (lang, render) => sections.forEach((ws, s) => {
      if (rows.length < n) rows.push({ id: rows.length + 1, source: `${lang}/part${p % 100}/page-${p}.md`, heading: `Page ${p} > ${s}`, text: render(ws), ord: s, lang });
    });
    add('en', (ws) => ws.map((w) => EN[w]).join(' '));
    // the translation: the same word ids in the other vocabulary (a stand-in for real translation)
    if (p % 5 === 0) add('zh', (ws) => ws.map((w) => ZH[w % ZH.length]).join(''));
  }
  return rows;
}

async function fromCorpus(dir) {
  const { ingest } = await import(core('ingest/index.js'));
  const { openStore } = await import(core('store/index.js'));
  const store = mkdtempSync(join(tmpdir(), 'loom-learned-bench-'));
  try {
    await ingest({ paths: [dir], store, embedder: 'local', learn: false });
    const s = await openStore(store, { readonly: true });
    try {
      const rows = [];
      for (let after = 0; ;) {
        const page = await s.backend.scanChunks(after, 10_000);
        if (page.length === 0) break;
        rows.push(...page);
        after = page[page.length - 1].id;
      }
      return rows;
    } finally {
      s.close();
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

const rows = opts.corpus ? await fromCorpus(opts.corpus) : synthetic(Number(opts.chunks));
// training is synchronous, so a timer cannot sample it: the process's own high-water mark is read
const rssBefore = process.memoryUsage().rss;

let t0 = performance.now();
let tokens = 0;
for (const r of rows) tokens += tokenize(`${r.heading}\n${r.text}`).length;
const tokenizeS = (performance.now() - t0) / 1000;

t0 = performance.now();
let passes = 0;
const space = trainSpace(rows, { onProgress: (done) => { passes = done; } });
const trainS = (performance.now() - t0) / 1000;
const peak = process.resourceUsage().maxRSS * 1024;

const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
console.log(`machine: ${cpus().length} × ${cpus()[0].model}, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`corpus: ${opts.corpus ? 'ingested from --corpus' : 'synthetic'}, ${rows.length} chunks, ${tokens} tokens, ${space.pairs} translated page groups`);
console.log(`baseline: tokenizing every chunk once: ${tokenizeS.toFixed(1)} s`);
console.log(`training: ${trainS.toFixed(1)} s (${(trainS / tokenizeS).toFixed(1)}× the tokenizing baseline; ${passes} passes over the matrix), ` +
  `${space.model.terms.length} terms × ${space.model.dim} dimensions`);
console.log(`memory: RSS ${mb(rssBefore)} with the chunks loaded, process peak ${mb(peak)} (corpus generation or ingest included)`);
