#!/usr/bin/env node
// Scores of the example evaluation set (examples/eval over examples/community-docs), offline, after
// `pnpm build`:  node bench/eval-examples.mjs [--no-write]
// Ingests the docs into a temporary store with the local embedder, scores retrieval for each mode
// in both formats (simple JSONL and BEIR) and the `ask` recipe's offline answers, then records the
// figures in examples/eval/baseline.json (read by the CI regression test) and docs/benchmarks.md.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine, replaceSection } from './eval-report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const core = await import(join(root, 'packages/core/dist/index.js'));
const { RECIPES_DIR } = await import(join(root, 'packages/recipes/dist/index.js'));
const { openStore } = await import(join(root, 'packages/core/dist/store/index.js'));
const { ingest } = await import(join(root, 'packages/core/dist/ingest/index.js'));
const { values: opts } = parseArgs({ options: { 'no-write': { type: 'boolean', default: false } } });

const MODES = ['hybrid', 'vector', 'lexical'];
const pick = (a) => ({ 'recall@5': round(a.recall[5]), 'ndcg@10': round(a.ndcg[10]), 'mrr@10': round(a.mrr[10]), 'found@5': round(a.success[5]), 'recall@1': round(a.recall[1]), 'recall@10': round(a.recall[10]) });
const round = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);

async function retrievalScores(store, queries, pageOf) {
  const out = {};
  const reports = [];
  for (const mode of MODES) {
    const r = await core.evaluateRetrieval({ store, queries, mode, k: 10, pageOf });
    reports.push(r);
    out[mode] = { overall: pick(r.overall), groups: Object.fromEntries(Object.entries(r.groups).filter(([g]) => g.startsWith('kind=')).map(([g, a]) => [g.slice(5), pick(a)])) };
  }
  return { scores: out, reports };
}

const tmp = await mkdtemp(join(tmpdir(), 'loom-examples-eval-'));
try {
  const docsDir = join(root, 'examples/community-docs');
  const summary = await ingest({ paths: [docsDir], store: join(tmp, 'docs'), embedder: 'local' });
  const store = await openStore(join(tmp, 'docs'), { readonly: true });
  const queries = await core.readQueriesJsonl(join(root, 'examples/eval/questions.jsonl'));
  const simple = await retrievalScores(store, queries);
  store.close();

  const dataset = await core.readBeir({ corpus: join(root, 'examples/eval/beir') });
  const ingested = await core.ingestBeirCorpus({ dataset, store: join(tmp, 'beir') });
  const beirStore = await openStore(join(tmp, 'beir'), { readonly: true });
  const beir = await retrievalScores(beirStore, dataset.queries, ingested.pageOf);
  beirStore.close();

  const pipeline = await core.loadPipeline(join(RECIPES_DIR, 'ask.yaml'));
  const answers = await core.evaluateAnswers({ pipeline, cases: queries, runOptions: { store: join(tmp, 'docs'), recipeDirs: [RECIPES_DIR], cache: false } });
  const a = answers.overall;
  if (a.failed === a.cases) console.error(`warning: every answer case failed (${answers.rows[0]?.error}); answers are not recorded`);

  console.log(core.formatRetrievalReport(simple.reports, { misses: false }));
  console.log('\nBEIR export:\n' + core.formatRetrievalTable(beir.reports));
  console.log('\n' + core.formatAnswerReport(answers));

  const baseline = {
    about: 'Figures of examples/eval measured by bench/eval-examples.mjs (local embedder, no model). The CI test packages/cli/test/eval-regression.test.ts fails when hybrid Recall@5 drops below the recorded figure minus `margin`. Re-run the script after a deliberate change and commit the new figures.',
    measured: new Date().toISOString().slice(0, 10),
    embedder: 'local',
    k: 10,
    margin: 0.03,
    corpus: { files: summary.added + summary.updated + summary.unchanged, chunks: summary.chunks },
    retrieval: { jsonl: simple.scores, beir: beir.scores },
    answers: a.failed === a.cases ? null : {
      recipe: 'ask', offline: true, cases: a.cases, failed: a.failed,
      citationPrecision: round(a.citationPrecision), phraseRecall: round(a.phraseRecall), containsAll: round(a.containsAll), containsAny: round(a.containsAny),
      refusalAccuracy: round(a.refusalAccuracy), falseRefusals: round(a.falseRefusals), latencyP50Ms: Math.round(a.latencyP50Ms),
    },
  };
  if (!opts['no-write']) {
    await writeFile(join(root, 'examples/eval/baseline.json'), JSON.stringify(baseline, null, 2) + '\n');
    await replaceSection('Example evaluation set (issue 7)', examplesSection(simple.reports, beir.reports, answers, summary, baseline));
    console.log('\nwrote examples/eval/baseline.json and the docs/benchmarks.md section "Example evaluation set (issue 7)"');
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}

function examplesSection(simpleReports, beirReports, answers, summary, baseline) {
  const a = answers.overall;
  if (a.failed === a.cases) console.error(`warning: every answer case failed (${answers.rows[0]?.error}); answers are not recorded`);
  const f = (x) => (x === null ? '-' : x.toFixed(3));
  const group = (name) => answers.groups[`kind=${name}`];
  return [
    `Measured ${baseline.measured} by \`node bench/eval-examples.mjs\` on ${machine()}: the ${queries_count(simpleReports)} questions of`,
    '`examples/eval/questions.jsonl` over `examples/community-docs`',
    `(${summary.chunks} chunks), offline (local hashing embedder, no model). Per page, from the top 40 chunks; no-answer questions are not averaged.`,
    'The CI test `packages/cli/test/eval-regression.test.ts` fails when hybrid Recall@5 drops more than 0.03 below these figures',
    '(recorded in `examples/eval/baseline.json`).',
    '',
    '### Retrieval, simple JSONL format (`loom eval retrieval --store DIR --queries examples/eval/questions.jsonl --compare hybrid,vector,lexical`)',
    '', '```', core.formatRetrievalTable(simpleReports), '```', '',
    '### Retrieval, BEIR export (`loom eval retrieval --corpus examples/eval/beir --compare hybrid,vector,lexical`)',
    '', 'One document per page, front matter removed; qrels grade the main page 2 and the others 1.', '',
    '```', core.formatRetrievalTable(beirReports), '```', '',
    ...(baseline.answers === null ? ['Answers: not measured (the `ask` recipe could not run in this build).'] : answersTable(answers, f, group)),
  ].join('\n');
}

function answersTable(answers, f, group) {
  const a = answers.overall;
  return [
    '### Answers, offline (`loom eval answers --cases examples/eval/questions.jsonl`, recipe `ask`, extractive)',
    '',
    '| measure | all | same-language | cross-lingual | no-answer |',
    '| --- | --- | --- | --- | --- |',
    ...[
      ['citation precision (cited passages from a gold page)', 'citationPrecision'],
      ['expected phrases found (share of phrases)', 'phraseRecall'],
      ['answers containing every expected phrase', 'containsAll'],
      ['answers containing at least one expected phrase', 'containsAny'],
      ['no-answer questions refused', 'refusalAccuracy'],
      ['answerable questions refused', 'falseRefusals'],
    ].map(([label, key]) => `| ${label} | ${f(a[key])} | ${f(group('same-language')?.[key] ?? null)} | ${f(group('cross-lingual')?.[key] ?? null)} | ${f(group('no-answer')?.[key] ?? null)} |`),
    `| p50 latency per question | ${a.latencyP50Ms.toFixed(0)} ms | | | |`,
    '',
    `${a.cases} cases, ${a.failed} failed; no model, so no tokens.`,
  ];
}

function queries_count(reports) {
  return reports[0].rows.length;
}
