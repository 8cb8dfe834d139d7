import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { LoomError } from '@promptloom/core/spec';
import type { EvalQuery, Hit, RetrievalMode, RetrievalReport } from '@promptloom/core';
import type { RegisterCommand } from './types.js';
import { interruptSignal } from './types.js';
import { type Io, writeJson } from '../io.js';
import { createProgress } from '../progress.js';
import { RUN_STORE_HELP, STORE_HELP, existingStore, storeAt, storeOption } from '../store-flag.js';
import { loadForCli } from './plan.js';

interface RetrievalFlags {
  corpus?: string; queries?: string; qrels?: string; store?: string; embedder?: string;
  mode: string; k: string; depth?: string; compare?: string; json?: boolean; misses: boolean; failBelow?: string;
}
interface AnswerFlags {
  cases: string; pipeline?: string; recipe?: string; store?: string; model?: string; cache: boolean; json?: boolean;
}

const MODES: readonly RetrievalMode[] = ['hybrid', 'vector', 'lexical'];

function int(value: string | undefined, flag: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new LoomError('USAGE', `${flag} must be a whole number ≥ ${min} (got "${value}")`);
  return n;
}

/** `hybrid,vector,lexical+mmr` -> one setting per item */
export function parseSettings(list: string): { mode: RetrievalMode; mmr: boolean; label: string }[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const [mode, ...extras] = item.split('+');
    if (!MODES.includes(mode as RetrievalMode) || extras.some((e) => e !== 'mmr')) {
      throw new LoomError('USAGE', `unknown retrieval setting "${item}"`, { hint: `use ${MODES.join(', ')}, optionally with +mmr (e.g. --compare hybrid,hybrid+mmr,vector)` });
    }
    return { mode: mode as RetrievalMode, mmr: extras.includes('mmr'), label: item };
  });
}

/** `R@5=0.9,nDCG@10=0.8`: exit 1 when a setting's overall figure is below one of these. */
function checkThresholds(spec: string, reports: RetrievalReport[], io: Io): boolean {
  let ok = true;
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(ndcg|r|recall|mrr|found)@(\d+)=([\d.]+)$/i.exec(item);
    if (!m) throw new LoomError('USAGE', `bad --fail-below item "${item}"`, { hint: 'e.g. --fail-below R@5=0.9,nDCG@10=0.8 (metrics: nDCG, R, MRR, found)' });
    const [, name, kText, minText] = m;
    const k = Number(kText);
    const table = { ndcg: 'ndcg', r: 'recall', recall: 'recall', mrr: 'mrr', found: 'success' } as const;
    const key = table[name.toLowerCase() as keyof typeof table];
    for (const r of reports) {
      const value = r.overall[key][k];
      if (value === undefined) throw new LoomError('USAGE', `--fail-below ${item}: @${k} is not computed (cutoffs ${r.ks.join(', ')}; raise -k)`);
      if (value < Number(minText)) {
        io.stderr.write(`below threshold: ${r.label} ${name}@${k} = ${value.toFixed(3)} < ${minText}\n`);
        ok = false;
      }
    }
  }
  return ok;
}

async function loadQuestions(flags: RetrievalFlags, io: Io, storeDir: string, signal?: AbortSignal) {
  const core = await import('@promptloom/core');
  if (flags.corpus) {
    const dataset = await core.readBeir({
      corpus: resolve(io.cwd, flags.corpus), queries: flags.queries && resolve(io.cwd, flags.queries), qrels: flags.qrels && resolve(io.cwd, flags.qrels),
    });
    const progress = await createProgress(io, 'ingest');
    let started = false;
    const ingested = await core.ingestBeirCorpus({
      dataset, store: storeDir, embedder: flags.embedder, signal,
      onProgress: (p) => { if (!started) { progress.start(p.total, p.phase); started = true; } progress.update(p.done); },
      onWarning: (m) => io.stderr.write(`warning: ${m}\n`),
    });
    progress.stop();
    if (!flags.json) io.stderr.write(`ingested ${dataset.documents.length} BEIR documents (${ingested.chunks} chunks, ${ingested.embedded} embedded) in ${ingested.seconds.toFixed(1)} s\n`);
    return { queries: dataset.queries, pageOf: ingested.pageOf };
  }
  if (!flags.queries) {
    throw new LoomError('USAGE', 'loom eval retrieval needs --queries FILE.jsonl (with --store) or --corpus DIR (BEIR)', {
      hint: 'e.g. loom eval retrieval --store .loom --queries examples/eval/questions.jsonl',
    });
  }
  return { queries: await core.readQueriesJsonl(resolve(io.cwd, flags.queries)), pageOf: undefined };
}

async function evalRetrieval(flags: RetrievalFlags, io: Io, setExit: (code: number) => void): Promise<void> {
  const core = await import('@promptloom/core');
  const settings = parseSettings(flags.compare ?? flags.mode);
  const k = int(flags.k, '-k') ?? 10;
  const depth = int(flags.depth, '--depth');
  const signal = interruptSignal();
  const temp = flags.corpus && !flags.store ? await mkdtemp(join(tmpdir(), 'loom-eval-')) : undefined;
  const storeDir = temp ?? (flags.corpus ? storeAt(flags.store, io) : existingStore(flags.store, io)).location;
  try {
    const { queries, pageOf } = await loadQuestions(flags, io, storeDir, signal);
    const store = await core.openStore(storeDir, { readonly: true, env: io.env });
    const reports: RetrievalReport[] = [];
    try {
      const progress = await createProgress(io, 'eval');
      progress.start(queries.length * settings.length);
      for (const s of settings) {
        const done = reports.length * queries.length;
        reports.push(await core.evaluateRetrieval({
          store, queries, mode: s.mode, mmr: s.mmr, label: s.label, k, depth, pageOf: pageOf as ((h: Hit) => string) | undefined, signal,
          onProgress: (n) => progress.update(done + n),
        }));
      }
      progress.stop();
    } finally {
      store.close();
    }
    if (flags.json) writeJson(io, { store: temp ? null : storeDir, questions: queries.length, reports });
    else io.stdout.write(core.formatRetrievalReport(reports, { misses: flags.misses }) + '\n');
    if (flags.failBelow && !checkThresholds(flags.failBelow, reports, io)) setExit(1);
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

async function loadEvalPipeline(flags: AnswerFlags, io: Io) {
  const { RECIPES_DIR } = await import('@promptloom/recipes');
  if (flags.pipeline && flags.recipe) throw new LoomError('USAGE', 'give --pipeline FILE or --recipe NAME, not both');
  if (flags.pipeline) return loadForCli(flags.pipeline, io);
  const name = flags.recipe ?? 'ask';
  const file = join(RECIPES_DIR, `${name}.yaml`);
  if (!existsSync(file)) throw new LoomError('SPEC_NOT_FOUND', `no recipe named "${name}"`, { hint: '`loom recipes list` shows the recipes' });
  return loadForCli(file, io);
}

async function evalAnswers(flags: AnswerFlags, io: Io, setExit: (code: number) => void): Promise<void> {
  const core = await import('@promptloom/core');
  const { RECIPES_DIR } = await import('@promptloom/recipes');
  const cases: EvalQuery[] = await core.readQueriesJsonl(resolve(io.cwd, flags.cases));
  const pipeline = await loadEvalPipeline(flags, io);
  const modelFlag = flags.model ?? io.env.LOOM_MODEL;
  const progress = await createProgress(io, 'answers');
  progress.start(cases.length);
  const report = await core.evaluateAnswers({
    pipeline, cases,
    runOptions: {
      store: storeOption(flags.store, io), recipeDirs: [RECIPES_DIR], env: io.env, cache: flags.cache,
      signal: interruptSignal(), models: modelFlag ? { default: core.parseModelFlag(modelFlag) } : undefined,
    },
    onProgress: (n) => progress.update(n),
  });
  progress.stop();
  if (flags.json) writeJson(io, report);
  else io.stdout.write(core.formatAnswerReport(report) + '\n');
  if (report.overall.failed === report.rows.length && report.rows.length > 0) setExit(2);
}

export const register: RegisterCommand = (program, io, setExit) => {
  const cmd: Command = program.command('eval').description('measure retrieval and answer quality on your own docs');
  cmd
    .command('retrieval')
    .description('score retrieval: nDCG@10, Recall@1/5/10, MRR@10 per page, with per-question misses')
    .option('--store <dir>', `${STORE_HELP}; with --corpus, the store to ingest into (default: a temporary one)`)
    .option('--queries <file>', 'questions: JSONL {query, gold: [paths]} or, with --corpus, BEIR queries.jsonl')
    .option('--corpus <dir>', 'a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) or its corpus.jsonl; ingested first')
    .option('--qrels <file>', 'BEIR qrels .tsv (query-id, corpus-id, score); default <corpus>/qrels/test.tsv')
    .option('--embedder <spec>', 'embedder for the BEIR ingest (default: the store\'s, else local)')
    .option('--mode <mode>', 'hybrid | vector | lexical', 'hybrid')
    .option('-k <n>', 'page cutoff for nDCG and MRR, deepest recall cutoff', '10')
    .option('--depth <n>', 'chunks fetched per question before grouping by page (default max(40, 4k))')
    .option('--compare <list>', 'several settings side by side, e.g. hybrid,vector,lexical or hybrid,hybrid+mmr')
    .option('--no-misses', 'leave out the list of missed questions')
    .option('--fail-below <list>', 'exit 1 when an overall figure is below, e.g. R@5=0.9,nDCG@10=0.8 (for CI)')
    .option('--json', 'print the full reports as JSON (per-question rows included)')
    .action((flags: RetrievalFlags) => evalRetrieval(flags, io, setExit));
  cmd
    .command('answers')
    .description('run a pipeline on each case and score citations, expected phrases, refusals, latency and tokens')
    .requiredOption('--cases <file>', 'JSONL {query, gold?, answer_contains?, expect?: "refuse", inputs?}')
    .option('--pipeline <file>', 'pipeline to run (its `question` input gets the case)')
    .option('--recipe <name>', 'recipe to run (default: ask)')
    .option('--store <dir>', RUN_STORE_HELP)
    .option('--model <provider:name>', 'model for the run, e.g. openai:gpt-4o-mini (default: offline, extractive)')
    .option('--no-cache', 'do not use the model call cache')
    .option('--json', 'print the full report as JSON')
    .action((flags: AnswerFlags) => evalAnswers(flags, io, setExit));
};
