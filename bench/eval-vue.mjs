#!/usr/bin/env node
// Retrieval quality on the real bilingual Vue docs (issue 7), run by hand after `pnpm build`:
//   node bench/eval-vue.mjs [--corpus DIR] [--queries FILE] [--no-write] [--only grep,minisearch,lexical,vector,hybrid]
// Ingests the corpus into a temporary store with the offline embedder, then scores every system
// on the same questions with the same evaluator: two baselines (naive grep, minisearch BM25) and
// the store's lexical, vector and hybrid modes. Cross-lingual questions search only the pages in
// the gold page's language. Writes the section "Retrieval quality (issue 7)" of docs/benchmarks.md.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { grepBaseline, loadPages, minisearchBaseline } from './eval-baselines.mjs';
import { machine, writeSection } from './eval-report.mjs';

const core = (p) => new URL(`../packages/core/dist/${p}`, import.meta.url).href;
const { evaluateRetrieval, aggregate } = await import(core('eval/retrieval.js'));
const { readQueriesJsonl } = await import(core('eval/cases.js'));
const { formatTable } = await import(core('eval/report.js'));

const { values: opts } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/work/shared/corpora/vue-docs' },
    queries: { type: 'string', default: new URL('./vue-eval/queries.jsonl', import.meta.url).pathname },
    only: { type: 'string', default: 'grep,minisearch,lexical,vector,hybrid' },
    'xling-filter': { type: 'string', default: 'lang' }, // lang (chunk language) | source (en/** or zh/**) | none
    store: { type: 'string' }, // reuse an already ingested store (skips the ingest)
    'no-write': { type: 'boolean', default: false },
    misses: { type: 'boolean', default: false },
  },
});
if (!existsSync(opts.corpus)) {
  console.error(`corpus not found: ${opts.corpus} (this benchmark needs the vue-docs corpus)`);
  process.exit(1);
}

const K = 10;
const systems = opts.only.split(',');
const queries = await readQueriesJsonl(opts.queries);
const goldLang = (q) => [...q.gold.keys()][0]?.split('/')[0];
const isCross = (q) => /cross/i.test(q.kind ?? '') || (q.lang && goldLang(q) && q.lang !== goldLang(q));
const groupOf = (q) => (q.gold.size === 0 ? undefined : isCross(q) ? 'cross-lingual' : `same-language ${q.lang ?? goldLang(q)}`);

/** cross-lingual questions search only the gold page's language, as the brief asks */
function filterFor(q) {
  if (!isCross(q) || opts['xling-filter'] === 'none') return undefined;
  const lang = goldLang(q);
  return opts['xling-filter'] === 'lang' ? { lang, filter: { lang } } : { filter: { source: `${lang}/**` } };
}

const pages = await loadPages(opts.corpus);
console.log(`${pages.length} pages, ${queries.length} questions (${queries.filter((q) => q.gold.size > 0).length} with a gold page)`);
const results = [];
const notes = [];

async function run(label, store) {
  const report = await evaluateRetrieval({ store, queries, mode: label.mode ?? 'hybrid', k: K, filterFor, label: label.name });
  results.push(report);
  const o = report.overall;
  console.log(`${label.name.padEnd(12)} R@5 ${o.recall[5].toFixed(3)}  nDCG@10 ${o.ndcg[10].toFixed(3)}  MRR@10 ${o.mrr[10].toFixed(3)}  p50 ${o.latencyP50Ms.toFixed(1)} ms`);
}

if (systems.includes('grep')) await run({ name: 'grep' }, grepBaseline(pages));
if (systems.includes('minisearch')) {
  const t0 = performance.now();
  const ms = await minisearchBaseline(pages);
  notes.push(`minisearch: ${ms.chunks} chunks indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await run({ name: 'minisearch' }, ms);
}

const storeModes = systems.filter((s) => ['lexical', 'vector', 'hybrid'].includes(s));
if (storeModes.length > 0) {
  const { openStore } = await import(core('store/index.js'));
  const { ingest } = await import(core('ingest/index.js'));
  const dir = opts.store ?? (await mkdtemp(join(tmpdir(), 'loom-vue-eval-')));
  try {
    if (!opts.store) {
      const summary = await ingest({ paths: [join(opts.corpus, 'en'), join(opts.corpus, 'zh')], store: dir, embedder: 'local' });
      notes.push(`store ingest (local embedder): ${summary.added} files, ${summary.chunks} chunks in ${summary.seconds.toFixed(1)} s`);
    }
    const store = await openStore(dir, { readonly: true });
    try {
      const sample = (await store.search('computed', { k: 1 }))[0];
      if (sample && !sample.source.startsWith('en/') && !sample.source.startsWith('zh/')) {
        throw new Error(`store sources are not relative to the corpus root (got ${sample.source}); adjust the ingest paths`);
      }
      for (const mode of storeModes) await run({ name: mode, mode }, store);
    } finally {
      store.close();
    }
  } finally {
    if (!opts.store) await rm(dir, { recursive: true, force: true });
  }
}

// one table per group, systems as rows
const GROUPS = ['same-language en', 'same-language zh', 'cross-lingual'];
const headers = ['system', 'n', 'Recall@5', 'nDCG@10', 'Recall@1', 'Recall@10', 'MRR@10', 'found@5', 'p50 ms'];
const tables = [];
const verdicts = [];
const AIMS = { 'same-language en': { r5: 0.95, ndcg: 0.8 }, 'same-language zh': { r5: 0.95, ndcg: 0.8 }, 'cross-lingual': { r5: 0.7 } };
for (const group of [...GROUPS, 'all']) {
  const rows = results.map((r) => {
    const picked = r.rows.filter((row) => {
      const q = queries.find((x) => x.id === row.id);
      return group === 'all' ? groupOf(q) !== undefined : groupOf(q) === group;
    });
    const a = aggregate(picked, r.ks);
    const aim = AIMS[group];
    if (r.label === 'hybrid' && aim) {
      const ok = (x, min) => (min === undefined ? '' : `${x.toFixed(3)} ${x >= min ? '≥' : '<'} ${min}`);
      verdicts.push(`hybrid, ${group}: Recall@5 ${ok(a.recall[5], aim.r5)}${aim.ndcg ? `, nDCG@10 ${ok(a.ndcg[10], aim.ndcg)}` : ''} (found@5 ${a.success[5].toFixed(3)}) — ${a.recall[5] >= aim.r5 && (!aim.ndcg || a.ndcg[10] >= aim.ndcg) ? 'aim met' : 'aim missed'}`);
    }
    return [r.label, String(a.count), ...[a.recall[5], a.ndcg[10], a.recall[1], a.recall[10], a.mrr[10], a.success[5]].map((x) => x.toFixed(3)), a.latencyP50Ms.toFixed(1)];
  });
  tables.push({ group, table: formatTable(headers, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8])) });
}
for (const v of verdicts) console.log(v);
for (const { group, table } of tables) console.log(`\n${group}\n${table}`);
for (const n of notes) console.log(n);

if (opts.misses) {
  const { formatMisses } = await import(core('eval/report.js'));
  console.log('\n' + formatMisses(results, 5, 200));
}
if (!opts['no-write']) {
  await writeSection({ tables, notes, verdicts, queries, groupOf, machine: machine(), filterMode: opts['xling-filter'] });
  console.log('\nwrote docs/benchmarks.md section "Retrieval quality (issue 7)"');
}
