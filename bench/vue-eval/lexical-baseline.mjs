#!/usr/bin/env node
// Reference points for a question set: two naive page-level rankings that any
// real retrieval mode must beat. Dependency-free on purpose, so the figures in
// README.md can be reproduced without building promptloom.
//
//   node bench/vue-eval/lexical-baseline.mjs [--queries FILE] [--corpus DIR] [--misses]
//
// Terms: Latin words of 2+ characters, and bigrams of consecutive Chinese
// characters. "grep" scores a page by how many distinct query terms it
// contains; "bm25" is Okapi BM25 (k1 1.2, b 0.75). Cross-lingual questions are
// ranked among pages of their gold language only (the language filter the
// evaluation uses); no-answer questions are skipped.
// Recall@5 = share of a question's gold pages in the top 5; nDCG@10 uses
// relevance 2 for the first gold page and 1 for the others.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const queriesFile = arg('--queries', join(here, 'queries.jsonl'));
const corpusDir = arg('--corpus', join(here, '..', '..', '..', 'shared', 'corpora', 'vue-docs'));
const showMisses = process.argv.includes('--misses');

const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.md') ? [join(d, e.name)] : [],
  );

function terms(text) {
  const s = text.toLowerCase();
  const out = s.match(/[a-z0-9_$]{2,}/g) ?? [];
  for (const run of s.match(/[\u4e00-\u9fff]+/g) ?? []) {
    if (run.length === 1) out.push(run);
    for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  }
  return out;
}

function loadDocs(root) {
  const docs = walk(root)
    .map((f) => ({ id: relative(root, f).split('\\').join('/'), terms: terms(readFileSync(f, 'utf8')) }))
    .filter((d) => d.id !== 'README.md');
  const df = new Map();
  for (const d of docs) {
    d.tf = new Map();
    for (const t of d.terms) d.tf.set(t, (d.tf.get(t) ?? 0) + 1);
    for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const avgLen = docs.reduce((a, d) => a + d.terms.length, 0) / docs.length;
  return { docs, df, avgLen };
}

function scorer(mode, { docs, df, avgLen }) {
  const n = docs.length;
  return (queryTerms, d) => {
    let s = 0;
    for (const t of queryTerms) {
      const f = d.tf.get(t);
      if (!f) continue;
      if (mode === 'grep') { s += 1; continue; }
      const idf = Math.log(1 + (n - df.get(t) + 0.5) / (df.get(t) + 0.5));
      s += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * d.terms.length) / avgLen));
    }
    return s;
  };
}

function metrics(ranked, gold) {
  const rel = new Map(gold.map((g, i) => [g, i === 0 ? 2 : 1]));
  const recall5 = ranked.slice(0, 5).filter((id) => rel.has(id)).length / gold.length;
  const gain = (r) => 2 ** r - 1;
  const dcg = ranked.slice(0, 10).reduce((a, id, i) => a + gain(rel.get(id) ?? 0) / Math.log2(i + 2), 0);
  const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, 10).reduce((a, r, i) => a + gain(r) / Math.log2(i + 2), 0);
  const first = ranked.slice(0, 10).findIndex((id) => rel.has(id));
  return { recall5, ndcg10: dcg / ideal, mrr10: first < 0 ? 0 : 1 / (first + 1) };
}

function run(mode, index, questions) {
  const score = scorer(mode, index);
  const totals = {};
  for (const q of questions) {
    const lang = q.gold[0].slice(0, 2);
    const pool = q.kind === 'cross-lingual' ? index.docs.filter((d) => d.id.startsWith(`${lang}/`)) : index.docs;
    const qt = [...new Set(terms(q.query))];
    const ranked = pool
      .map((d) => [d.id, score(qt, d)])
      .filter(([, s]) => s > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([id]) => id);
    const m = metrics(ranked, q.gold);
    if (showMisses && mode === 'bm25' && m.recall5 === 0) console.log(`miss ${q.id}: ${q.query} -> ${ranked.slice(0, 3).join(', ')}`);
    for (const key of [q.kind, 'all']) {
      const t = (totals[key] ??= { n: 0, recall5: 0, ndcg10: 0, mrr10: 0 });
      t.n++;
      for (const k of ['recall5', 'ndcg10', 'mrr10']) t[k] += m[k];
    }
  }
  for (const [key, t] of Object.entries(totals)) {
    const f = (k) => (t[k] / t.n).toFixed(3);
    console.log(`${mode.padEnd(5)} ${key.padEnd(14)} n=${String(t.n).padStart(3)}  Recall@5 ${f('recall5')}  nDCG@10 ${f('ndcg10')}  MRR@10 ${f('mrr10')}`);
  }
}

const questions = readFileSync(queriesFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
  .filter((q) => q.gold.length > 0);
const index = loadDocs(corpusDir);
for (const mode of ['grep', 'bm25']) run(mode, index, questions);
