#!/usr/bin/env node
// Vector search at 100k (issue 4, benchmarks 1 and 2), run by hand after `pnpm build`:
//   node bench/store-hnsw.mjs [--n 100000] [--dims 384] [--queries 200] [--data subspace|random]
// Same synthetic vectors into LoomVectorStore, raw hnswlib-node (same M/efConstruction/ef as the
// store) and LangChain's HNSWLib with its defaults; recall@10 against exact search and p50 latency
// of one query. Then filtered search at 1% selectivity (a front-matter tag on 1 in 100 documents).
// Prints a Markdown table; docs/benchmarks.md holds the figures of one run.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const requireCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const importCore = (name) => import(requireCore.resolve(name));
const { default: hnswlib } = await importCore('hnswlib-node');
const { HNSWLib } = await importCore('@langchain/community/vectorstores/hnswlib');
const { Document } = await importCore('@langchain/core/documents');
const { Embeddings } = await importCore('@langchain/core/embeddings');
const { LoomVectorStore } = await import(new URL('../packages/core/dist/store/langchain.js', import.meta.url).href);
const { sqliteOf } = await import(new URL('../packages/core/dist/store/local.js', import.meta.url).href);

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '384' },
    queries: { type: 'string', default: '200' },
    data: { type: 'string', default: 'subspace' },
  },
});
const N = Number(opts.n), D = Number(opts.dims), Q = Number(opts.queries), K = 10;

// --- data: text embeddings have a low intrinsic dimension; i.i.d. random vectors (--data random)
// are the worst case, where every point is almost equally far from every other
let seed = 7;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
const basis = Array.from({ length: 32 }, () => Float32Array.from({ length: D }, gauss));
function vector() {
  const v = new Float32Array(D);
  if (opts.data === 'random') for (let j = 0; j < D; j++) v[j] = gauss();
  else {
    for (const b of basis) { const c = gauss(); for (let j = 0; j < D; j++) v[j] += c * b[j]; }
    for (let j = 0; j < D; j++) v[j] += 0.25 * Math.sqrt(32) * gauss();
  }
  let s = 0;
  for (let j = 0; j < D; j++) s += v[j] * v[j];
  s = 1 / Math.sqrt(s);
  for (let j = 0; j < D; j++) v[j] *= s;
  return v;
}
const data = new Float32Array(N * D);
for (let i = 0; i < N; i++) data.set(vector(), i * D);
const queries = Array.from({ length: Q }, vector);
const row = (i) => data.subarray(i * D, (i + 1) * D);
const group = (i) => i % 100; // the 1% filter keeps group 7

function exactTop(q, keep = () => true) {
  const best = [];
  for (let i = 0; i < N; i++) {
    if (!keep(i)) continue;
    let s = 0;
    const off = i * D;
    for (let j = 0; j < D; j++) s += q[j] * data[off + j];
    if (best.length < K || s > best[best.length - 1][0]) {
      best.push([s, i]);
      best.sort((a, b) => b[0] - a[0]);
      if (best.length > K) best.pop();
    }
  }
  return new Set(best.map((b) => b[1]));
}
console.log(`${N} × ${D}-d (${opts.data}), ${Q} queries; exact top-${K}…`);
const truth = queries.map((q) => exactTop(q));
const truthFiltered = queries.map((q) => exactTop(q, (i) => group(i) === 7));

async function measure(label, search, truthSets) {
  let hits = 0;
  const lat = [];
  for (let i = 0; i < Q; i++) {
    const t0 = performance.now();
    const ids = await search(queries[i]);
    lat.push(performance.now() - t0);
    hits += ids.filter((id) => truthSets[i].has(id)).length;
  }
  lat.sort((a, b) => a - b);
  return { label, recall: hits / (Q * K), p50: lat[Math.floor(Q / 2)], p95: lat[Math.floor(Q * 0.95)] };
}

const results = [];
const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);
class Fixed extends Embeddings {
  constructor() { super({}); this.dimensions = D; this.id = `bench:fixed:${D}`; }
  async embedDocuments() { throw new Error('vectors are given'); }
  async embedQuery() { throw new Error('vectors are given'); }
}

// --- LoomVectorStore
const dir = mkdtempSync(join(tmpdir(), 'storebench-hnsw-'));
let t0 = performance.now();
const loom = await LoomVectorStore.open(dir, new Fixed());
for (let start = 0; start < N; start += 5000) {
  const end = Math.min(N, start + 5000);
  const docs = [], vecs = [], ids = [];
  for (let i = start; i < end; i++) {
    docs.push(new Document({ pageContent: `document ${i}`, metadata: { lang: 'en', tags: [`g${group(i)}`], source: `docs/${i}.md` } }));
    vecs.push(Array.from(row(i)));
    ids.push(String(i));
  }
  await loom.addVectors(vecs, docs, { ids });
}
await loom.close();
const loomBuild = seconds(t0);
t0 = performance.now();
const reopened = await LoomVectorStore.open(dir, new Fixed());
const loomOpen = seconds(t0);
const loomSearch = async (q, filter) => (await reopened.similaritySearchVectorWithScore(Array.from(q), K, filter)).map(([d]) => Number(d.id));
const EF = sqliteOf(reopened.store).index.params.ef;
results.push({ ...(await measure(`LoomVectorStore (M 16, efConstruction 200, ef ${EF})`, (q) => loomSearch(q), truth)), build: loomBuild, open: loomOpen });

// --- raw hnswlib-node with the store's parameters
t0 = performance.now();
const raw = new hnswlib.HierarchicalNSW('ip', D);
raw.initIndex(N, 16, 200, 100);
for (let i = 0; i < N; i++) raw.addPoint(Array.from(row(i)), i);
const rawBuild = seconds(t0);
raw.setEf(EF);
results.push({ ...(await measure(`raw hnswlib-node (M 16, efConstruction 200, ef ${EF})`, (q) => raw.searchKnn(Array.from(q), K).neighbors, truth)), build: rawBuild });
raw.setEf(10);
results.push({ ...(await measure('raw hnswlib-node, default ef (10)', (q) => raw.searchKnn(Array.from(q), K).neighbors, truth)), build: rawBuild });
raw.setEf(EF);

// --- LangChain HNSWLib with its defaults
t0 = performance.now();
const lc = new HNSWLib(new Fixed(), { space: 'cosine', numDimensions: D });
for (let start = 0; start < N; start += 5000) {
  const end = Math.min(N, start + 5000);
  const docs = [], vecs = [];
  for (let i = start; i < end; i++) { docs.push(new Document({ pageContent: String(i), metadata: { i, group: group(i) } })); vecs.push(Array.from(row(i))); }
  await lc.addVectors(vecs, docs);
}
const lcBuild = seconds(t0);
const lcSearch = async (q, filter) => (await lc.similaritySearchVectorWithScore(Array.from(q), K, filter)).map(([d]) => d.metadata.i);
results.push({ ...(await measure('LangChain HNSWLib, defaults', (q) => lcSearch(q), truth)), build: lcBuild });

// --- filtered at 1% selectivity
const filtered = [];
const first = performance.now();
await loomSearch(queries[0], { tag: 'g7' });
const cold = performance.now() - first;
filtered.push({ ...(await measure('LoomVectorStore, filter tag (exact plan)', (q) => loomSearch(q, { tag: 'g7' }), truthFiltered)), note: `first query ${cold.toFixed(1)} ms (reads the 1% from SQLite), then cached` });
filtered.push(await measure(`raw hnswlib-node, filter callback (ef ${EF})`, (q) => raw.searchKnn(Array.from(q), K, (label) => group(label) === 7).neighbors, truthFiltered));
filtered.push(await measure('LangChain HNSWLib, filter function', (q) => lcSearch(q, (doc) => doc.metadata.group === 7), truthFiltered));
reopened.store.close();
rmSync(dir, { recursive: true, force: true });

const unfilteredLoom = results[0].p50;
console.log(`\nmachine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
console.log(`\n| system | recall@10 | p50 ms | p95 ms | build s |\n| --- | ---: | ---: | ---: | ---: |`);
for (const r of results) console.log(`| ${r.label} | ${r.recall.toFixed(3)} | ${r.p50.toFixed(3)} | ${r.p95.toFixed(3)} | ${r.build}${r.open ? ` (open ${r.open} s)` : ''} |`);
console.log(`\nLoom p50 / raw hnswlib p50 (ef ${EF}): ${(results[0].p50 / results[1].p50).toFixed(2)}x`);
console.log(`\n| filtered, 1% selectivity | recall@10 | p50 ms | p50 vs Loom unfiltered |\n| --- | ---: | ---: | ---: |`);
for (const r of filtered) console.log(`| ${r.label} | ${r.recall.toFixed(3)} | ${r.p50.toFixed(3)} | ${(r.p50 / unfilteredLoom).toFixed(1)}x |`);
for (const r of filtered) if (r.note) console.log(`${r.label}: ${r.note}`);
