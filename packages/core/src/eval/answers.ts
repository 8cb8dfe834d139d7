import { LoomError, exitCodeFor, toLoomError } from '../errors.js';
import type { RunOptions, RunResult } from '../engine/types.js';
import type { LoadedPipeline } from '../spec/types.js';
import type { EvalQuery } from './cases.js';
import { mean } from './metrics.js';

export interface AnswerEvalOptions {
  pipeline: LoadedPipeline;
  cases: readonly EvalQuery[];
  /** passed to every run (store, models, recipeDirs, cache, signal, …) */
  runOptions?: RunOptions;
  /** case -> pipeline inputs; default: the question in the pipeline's `question` (or `query`) input */
  inputsFor?: (c: EvalQuery) => Record<string, unknown>;
  onProgress?: (done: number, total: number) => void;
}

export interface AnswerRow {
  id: string;
  query: string;
  lang?: string;
  kind?: string;
  expect: 'answer' | 'refuse';
  status: 'ok' | 'failed';
  error?: string;
  answer: string;
  grounded: boolean | null;
  citedSources: string[];
  /** share of citations whose source is a gold page; null without citations or gold */
  citationPrecision: number | null;
  /** share of the expected phrases found in the answer; null when the case lists none */
  phraseRecall: number | null;
  containsAll: boolean | null;
  containsAny: boolean | null;
  /** expect refuse: did it refuse (grounded false)? expect answer: did it answer (grounded true)? */
  behaved: boolean | null;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  calls: number;
  costUsd: number;
}

export interface AnswerAggregate {
  cases: number;
  failed: number;
  /** mean over cases that cite something and have gold pages */
  citationPrecision: number | null;
  /** mean phrase recall, and the shares of cases containing all / any expected phrase */
  phraseRecall: number | null;
  containsAll: number | null;
  containsAny: number | null;
  /** expect refuse cases that refused, of all expect refuse cases */
  refusalAccuracy: number | null;
  /** expect answer cases that refused (grounded false) */
  falseRefusals: number | null;
  latencyP50Ms: number;
  latencyP95Ms: number;
  tokensPerCase: number;
  costUsd: number;
}

export interface AnswerReport {
  pipeline: string;
  rows: AnswerRow[];
  overall: AnswerAggregate;
  groups: Record<string, AnswerAggregate>;
}

/** Lowercased, whitespace collapsed, Markdown emphasis and code marks removed: a phrase written
 *  plainly in the cases still matches "**30** minutes" or "`fetch.retry`" in an answer. */
export function normaliseForMatch(text: string): string {
  return text.replace(/\*\*|__|`/g, '').replace(/\s+/g, ' ').toLowerCase().trim();
}

function defaultInputs(pipeline: LoadedPipeline): (c: EvalQuery) => Record<string, unknown> {
  const inputs = pipeline.spec.inputs ?? {};
  const name = ['question', 'query'].find((n) => n in inputs)
    ?? Object.entries(inputs).find(([, s]) => s.type === 'string' && s.required)?.[0];
  if (!name) {
    throw new LoomError('USAGE', `pipeline ${pipeline.spec.name} has no input for the question`, {
      file: pipeline.file, hint: 'give it a `question` (or `query`) string input',
    });
  }
  const takesFilter = 'filter' in inputs;
  return (c) => {
    // a case's filter narrows retrieval; a pipeline that cannot take it must not silently ignore it
    if (c.filter && !takesFilter) {
      throw new LoomError('USAGE', `case ${c.id} has a filter, but pipeline ${pipeline.spec.name} has no \`filter\` input`, {
        file: pipeline.file, hint: 'add a `filter: { type: object, default: {} }` input passed to its retrieve step (as the ask recipe does), or remove the filter from the case',
      });
    }
    return { ...(c.inputs ?? {}), ...(c.filter ? { filter: c.filter } : {}), [name]: c.query };
  };
}

/** The answer fields: the pipeline's outputs, else the output of its last `answer` step. */
function answerOf(result: RunResult): { answer: string; grounded: boolean | null; citations: { source?: unknown }[] } {
  let o = result.outputs as Record<string, unknown>;
  if (typeof o.answer !== 'string') {
    const step = Object.values(result.steps).reverse().find((s) => s.kind === 'answer' && s.status === 'ok');
    if (step && step.output && typeof step.output === 'object') o = step.output as Record<string, unknown>;
  }
  const answer = typeof o.answer === 'string' ? o.answer : typeof o.text === 'string' ? o.text : '';
  const citations = Array.isArray(o.citations) ? (o.citations as { source?: unknown }[]) : [];
  return { answer, grounded: typeof o.grounded === 'boolean' ? o.grounded : null, citations };
}

function scoreCase(c: EvalQuery, answer: string, grounded: boolean | null, cited: string[]): Pick<AnswerRow, 'citationPrecision' | 'phraseRecall' | 'containsAll' | 'containsAny' | 'behaved'> {
  const expect = c.expect ?? (c.gold.size === 0 ? 'refuse' : 'answer');
  const gold = new Set([...c.gold].filter(([, g]) => g > 0).map(([p]) => p));
  const citationPrecision = cited.length > 0 && gold.size > 0 ? cited.filter((s) => gold.has(s)).length / cited.length : null;
  const phrases = expect === 'answer' ? c.answerContains ?? [] : [];
  const text = normaliseForMatch(answer);
  const found = phrases.filter((p) => text.includes(normaliseForMatch(p)));
  return {
    citationPrecision,
    phraseRecall: phrases.length > 0 ? found.length / phrases.length : null,
    containsAll: phrases.length > 0 ? found.length === phrases.length : null,
    containsAny: phrases.length > 0 ? found.length > 0 : null,
    behaved: grounded === null ? null : expect === 'refuse' ? grounded === false : grounded === true,
  };
}

type CaseResult = AnswerRow & { cause?: LoomError };

async function runCase(c: EvalQuery, options: AnswerEvalOptions, inputsFor: (c: EvalQuery) => Record<string, unknown>): Promise<CaseResult> {
  const expect = c.expect ?? (c.gold.size === 0 ? 'refuse' : 'answer');
  const base = { id: c.id, query: c.query, lang: c.lang, kind: c.kind, expect } as const;
  const t0 = performance.now();
  const { runPipeline } = await import('../engine/run.js');
  let result: RunResult;
  try {
    result = await runPipeline(options.pipeline, inputsFor(c), options.runOptions ?? {});
  } catch (error) {
    const cause = toLoomError(error);
    return { ...failedRow(base, cause.message, performance.now() - t0), cause };
  }
  const latencyMs = performance.now() - t0;
  if (result.status !== 'ok') {
    const failed = Object.values(result.steps).find((s) => s.status === 'failed');
    const row = failedRow(base, failed?.error ? `step ${failed.id}: ${failed.error.message}` : `run ${result.status}`, latencyMs);
    return { ...row, cause: failed?.error };
  }
  const { answer, grounded, citations } = answerOf(result);
  const cited = citations.map((x) => (typeof x.source === 'string' ? x.source : '')).filter(Boolean);
  return {
    ...base, status: 'ok', answer, grounded, citedSources: cited, ...scoreCase(c, answer, grounded, cited), latencyMs,
    promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens,
    calls: result.usage.calls, costUsd: result.usage.costUsd,
  };
}

function failedRow(base: Pick<AnswerRow, 'id' | 'query' | 'lang' | 'kind' | 'expect'>, error: string, latencyMs: number): AnswerRow {
  return {
    ...base, status: 'failed', error, answer: '', grounded: null, citedSources: [], citationPrecision: null,
    phraseRecall: null, containsAll: null, containsAny: null, behaved: null,
    latencyMs, promptTokens: 0, completionTokens: 0, calls: 0, costUsd: 0,
  };
}

function meanOf(values: (number | boolean | null)[]): number | null {
  const xs = values.filter((v): v is number | boolean => v !== null).map(Number);
  return xs.length === 0 ? null : mean(xs);
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

export function aggregateAnswers(rows: readonly AnswerRow[]): AnswerAggregate {
  const ok = rows.filter((r) => r.status === 'ok');
  return {
    cases: rows.length,
    failed: rows.length - ok.length,
    citationPrecision: meanOf(ok.map((r) => r.citationPrecision)),
    phraseRecall: meanOf(ok.map((r) => r.phraseRecall)),
    containsAll: meanOf(ok.map((r) => r.containsAll)),
    containsAny: meanOf(ok.map((r) => r.containsAny)),
    refusalAccuracy: meanOf(ok.filter((r) => r.expect === 'refuse').map((r) => r.behaved)),
    falseRefusals: meanOf(ok.filter((r) => r.expect === 'answer').map((r) => (r.behaved === null ? null : !r.behaved))),
    latencyP50Ms: pct(rows.map((r) => r.latencyMs), 0.5),
    latencyP95Ms: pct(rows.map((r) => r.latencyMs), 0.95),
    tokensPerCase: ok.length === 0 ? 0 : mean(ok.map((r) => r.promptTokens + r.completionTokens)),
    costUsd: rows.reduce((s, r) => s + r.costUsd, 0),
  };
}

/**
 * Runs the pipeline once per case, one case at a time (honest latencies), and scores each answer:
 * citation precision against the gold pages, expected phrases, refusal when `expect: refuse`.
 * A failed run is a failed case, reported, not thrown.
 */
export async function evaluateAnswers(options: AnswerEvalOptions): Promise<AnswerReport> {
  const inputsFor = options.inputsFor ?? defaultInputs(options.pipeline);
  const rows: AnswerRow[] = [];
  for (const c of options.cases) {
    if (options.runOptions?.signal?.aborted) throw new LoomError('RUN_ABORTED', 'evaluation interrupted');
    const { cause, ...row } = await runCase(c, options, inputsFor);
    // a user mistake on the first case (no store, no key, bad model name) would repeat for every case
    if (rows.length === 0 && cause && exitCodeFor(cause) === 1) throw cause;
    rows.push(row);
    options.onProgress?.(rows.length, options.cases.length);
  }
  const groups: Record<string, AnswerAggregate> = {};
  const kinds = [...new Set(rows.map((r) => r.kind).filter((k): k is string => Boolean(k)))].sort();
  for (const kind of kinds) groups[`kind=${kind}`] = aggregateAnswers(rows.filter((r) => r.kind === kind));
  const langs = [...new Set(rows.map((r) => r.lang).filter((l): l is string => Boolean(l)))].sort();
  for (const lang of langs) groups[`lang=${lang}`] = aggregateAnswers(rows.filter((r) => r.lang === lang));
  return { pipeline: options.pipeline.spec.name, rows, overall: aggregateAnswers(rows), groups };
}
