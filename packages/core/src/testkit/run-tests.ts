import { LoomError, toLoomError } from '../errors.js';
import type { LoadedPipeline, TestCase } from '../spec/types.js';
import type { RunOptions, RunResult } from '../engine/types.js';
import { runPipeline } from '../engine/run.js';
import { effectiveModels } from '../providers/resolve.js';
import { checkAssertion, type AssertionResult } from './assertions.js';

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  /** the pipeline's `name:` */
  pipeline: string;
  file?: string;
  name: string;
  status: CaseStatus;
  /** why the case was skipped, or the error that failed the run */
  reason?: string;
  /** the error code when the run failed */
  errorCode?: string;
  checks: AssertionResult[];
  durationMs: number;
  /** prompt + completion tokens of the run */
  tokens: number;
  /** the run's outputs, for a failing case's details (absent when the run failed) */
  outputs?: Record<string, unknown>;
}

export interface TestRunSummary {
  cases: CaseResult[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface PipelineTestOptions extends RunOptions {
  /** only cases whose name contains this text (case-insensitive) */
  filter?: string;
  /** called after each case, e.g. for progress output */
  onCase?: (result: CaseResult) => void;
}

/**
 * Whether a run of this pipeline with these options has no model at all: the same test as
 * the engine's `run.offline`, so `mode:` and `when: "{{ run.offline }}"` always agree.
 */
export function isOfflineRun(pipeline: LoadedPipeline, options: RunOptions): boolean {
  return Object.keys(effectiveModels(pipeline, options)).length === 0;
}

/**
 * Runs the `tests:` cases of one pipeline, one after another. A case with `mode: model` is
 * skipped when no model is configured and one with `mode: offline` when one is, so one file
 * can test both paths; `expect_error` passes when the run fails with that error code.
 * A failing run fails its case; it never throws (except for an invalid `options`).
 */
export async function runPipelineTests(pipeline: LoadedPipeline, options: PipelineTestOptions = {}): Promise<CaseResult[]> {
  const { filter, onCase, ...runOptions } = options;
  const offline = isOfflineRun(pipeline, runOptions);
  const results: CaseResult[] = [];
  for (const testCase of pipeline.spec.tests) {
    if (filter && !testCase.name.toLowerCase().includes(filter.toLowerCase())) continue;
    const result = await runCase(pipeline, testCase, runOptions, offline);
    onCase?.(result);
    results.push(result);
  }
  return results;
}

function skipReason(mode: TestCase['mode'], offline: boolean): string | undefined {
  if (mode === 'model' && offline) return 'needs a model (--model PROVIDER:NAME, LOOM_MODEL or models:)';
  if (mode === 'offline' && !offline) return 'offline only (runs when no model is configured)';
  return undefined;
}

async function runCase(pipeline: LoadedPipeline, testCase: TestCase, options: RunOptions, offline: boolean): Promise<CaseResult> {
  const base = { pipeline: pipeline.spec.name, ...(pipeline.file ? { file: pipeline.file } : {}), name: testCase.name };
  const skipped = skipReason(testCase.mode, offline);
  if (skipped) return { ...base, status: 'skipped', reason: skipped, checks: [], durationMs: 0, tokens: 0 };

  const t0 = performance.now();
  let result: RunResult | undefined;
  let error: LoomError | undefined;
  try {
    result = await runPipeline(pipeline, testCase.inputs ?? {}, options);
    if (result.status !== 'ok') error = result.error ?? new LoomError('RUN_ABORTED', `the run ended with status ${result.status}`);
  } catch (e) {
    error = toLoomError(e);
  }
  const durationMs = performance.now() - t0;
  const tokens = result ? result.usage.promptTokens + result.usage.completionTokens : 0;
  const failure = error ? { reason: `${error.code}: ${firstLine(error.message)}`, errorCode: error.code } : {};

  if (testCase.expect_error) {
    const ok = error?.code === testCase.expect_error;
    const check: AssertionResult = {
      ok,
      label: `fails with ${testCase.expect_error}`,
      ...(ok ? {} : { detail: error ? `failed with ${error.code}: ${firstLine(error.message)}` : 'the run succeeded' }),
    };
    return { ...base, status: ok ? 'passed' : 'failed', checks: [check], durationMs, tokens, ...failure, ...(result?.status === 'ok' ? { outputs: result.outputs } : {}) };
  }
  if (error || !result) return { ...base, status: 'failed', checks: [], durationMs, tokens, ...failure };

  const outputs = result.outputs;
  const checks = testCase.assert.flatMap((a) => checkAssertion(a, { outputs, totalTokens: tokens }));
  return { ...base, status: checks.every((c) => c.ok) ? 'passed' : 'failed', checks, durationMs, tokens, outputs };
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

export function summarizeTestRun(cases: CaseResult[]): TestRunSummary {
  return {
    cases,
    passed: cases.filter((c) => c.status === 'passed').length,
    failed: cases.filter((c) => c.status === 'failed').length,
    skipped: cases.filter((c) => c.status === 'skipped').length,
  };
}
