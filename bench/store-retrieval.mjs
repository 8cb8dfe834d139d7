#!/usr/bin/env node
// Which hybrid-retrieval knobs earn their place (issue 4), run by hand after `pnpm build`:
//   node bench/store-retrieval.mjs [--corpus DIR] [--queries FILE] [--store DIR] [--fixture]
// Ingests the bilingual Vue docs (or, with --fixture, the small test fixture and its own questions)
// and scores fusion variants with the eval harness: plain RRF, weighted RRF with protected top hits,
// the Latin-only sub-query, and CC-CEDICT expansion. Cross-lingual questions search the gold
// page's language (source filter), as bench/eval-vue.mjs does. Prints a table; writes nothing.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const core = (p) => new URL(`../packages/core/dist/${p}`, import.meta.url).href;
const { evaluateRetrieval, aggregate } = await import(core('eval/retrieval.js'));
const { readQueriesJsonl } = await import(core('eval/cases.js'));
const { openStore } = await import(core('store/index.js'));
const { ingest } = await import(core('ingest/index.js'));

const { values: opts } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/work/shared/corpora/vue-docs' },
    queries: { type: 'string', default: new URL('./vue-eval/queries.jsonl', import.meta.url).pathname },
    store: { type: 'string' },
    modes: { type: 'string', default: 'hybrid' },
    xfilter: { type: 'string', default: 'source' }, // source | none: how cross-lingual questions are restricted
  },
});
if (!existsSync(opts.corpus)) {
  console.error(`corpus not found: ${opts.corpus}`);
  process.exit(1);
}

const BASE = { latinWeight: 0, expansionWeight: 0, protect: 0, crossLingual: 'never', noiseWeight: 1 };
const CROSS = { expansionWeight: 0.3, crossLingual: 'adaptive', noiseWeight: 0.2 };
const VARIANTS = {
  'plain RRF': BASE,
  'protect 1': { ...BASE, protect: 1 },
  'protect 2': { ...BASE, protect: 2 },
  'dictionary (adaptive)': { ...BASE, ...CROSS, noiseWeight: 1 },
  'dictionary + noise gate': { ...BASE, ...CROSS },
  'dictionary + gate + latin': { ...BASE, ...CROSS, latinWeight: 0.5 },
  'dictionary always + gate': { ...BASE, ...CROSS, crossLingual: 'always' },
  'protect 1 + dictionary + gate': { ...BASE, ...CROSS, protect: 1 },
  'protect 2 + dictionary + gate': { ...BASE, ...CROSS, protect: 2 },
  'default without pruning common tokens': { pruneCommon: false },
  'default': {},
};

const queries = await readQueriesJsonl(opts.queries);
const goldLang = (q) => [...q.gold.keys()][0]?.split('/')[0];
const isCross = (q) => q.kind === 'cross-lingual';
const groupOf = (q) => (q.gold.size === 0 ? undefined : isCross(q) ? 'cross' : q.lang);
const filterFor = (q) => (isCross(q) && opts.xfilter === 'source' ? { filter: { source: `${goldLang(q)}/**` } } : undefined);

const dir = opts.store ?? (await mkdtemp(join(tmpdir(), 'loom-retrieval-')));
if (!opts.store) {
  const s = await ingest({ paths: [join(opts.corpus, 'en'), join(opts.corpus, 'zh')], store: dir });
  console.log(`ingested ${s.added} pages, ${s.chunks} chunks in ${s.seconds} s`);
}
const store = await openStore(dir, { readonly: true });
const rows = [];
for (const mode of opts.modes.split(',')) {
  for (const [name, tuning] of Object.entries(mode === 'hybrid' ? VARIANTS : { [mode]: {} })) {
    store.tuning = tuning;
    const report = await evaluateRetrieval({ store, queries, mode, k: 10, filterFor, label: name });
    const cells = [name];
    for (const g of ['en', 'zh', 'cross', 'all']) {
      const picked = report.rows.filter((r) => {
        const q = queries.find((x) => x.id === r.id);
        return g === 'all' ? groupOf(q) !== undefined : groupOf(q) === g;
      });
      const a = aggregate(picked, report.ks);
      cells.push(`${a.success[5].toFixed(3)}/${a.mrr[10].toFixed(3)}`);
    }
    cells.push(report.overall.latencyP50Ms.toFixed(1));
    rows.push(cells);
    console.log(cells.join('  '));
  }
}
console.log('\nvariant | en found@5/MRR@10 | zh | cross | all | p50 ms');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
store.close();
if (!opts.store) await rm(dir, { recursive: true, force: true });
