import { LoomError, toLoomError } from '../errors.js';
import type { LoadedPipeline, StepSpec } from '../spec/types.js';
import type { AttemptSlots } from './budget.js';
import type { Emitter } from './events.js';
import type { Semaphore } from './executor.js';
import type { ExecutionPlan } from './plan.js';
import type { RunResources } from './resources.js';
import type { Executor, RunOptions, StepRecord } from './types.js';

/** The global slot an attempt holds (and lends to its model calls); see budget.ts. */
export type Slot = AttemptSlots;

export interface ChildCall {
  signal: AbortSignal;
  record: StepRecord;
  stepId: string;
  slot: Slot;
}

/** Everything one run shares between its steps. */
export interface RunState {
  runId: string;
  pipeline: LoadedPipeline;
  plan: ExecutionPlan;
  specs: Map<string, StepSpec>;
  options: RunOptions;
  /** template scope: never process.env, so secrets cannot reach prompts */
  scope: { inputs: Record<string, unknown>; steps: Record<string, unknown>; env: Record<string, never>; run: { offline: boolean; model: string | null } };
  records: Record<string, StepRecord>;
  emit: Emitter;
  limiter: Semaphore;
  executor: Executor;
  /** aborted when the caller cancels or a step fails: running attempts stop, nothing new starts */
  controller: AbortController;
  resources: RunResources;
  error?: LoomError;
  /** rejects with CANCELLED once the run stops (see whenStopped) */
  stopped?: Promise<never>;
  runChild(ref: string, inputs: Record<string, unknown>, call: ChildCall): Promise<Record<string, unknown>>;
}

/** The abort reason inside a run; an attempt rejected with it is 'cancelled', not 'failed'. */
export const CANCELLED = new LoomError('RUN_ABORTED', 'run cancelled');

export function isCancel(error: unknown, state: RunState): boolean {
  return error === CANCELLED || state.controller.signal.aborted;
}

/**
 * One promise per run that rejects when the run stops: attempts race against it, which costs
 * far less than an AbortController and two listeners per attempt.
 */
export function whenStopped(state: RunState): Promise<never> {
  if (!state.stopped) {
    const signal = state.controller.signal;
    state.stopped = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(CANCELLED);
      else signal.addEventListener('abort', () => reject(CANCELLED), { once: true });
    });
    state.stopped.catch(() => undefined);
  }
  return state.stopped;
}

/** Records the first failure and stops the run. */
export function failRun(state: RunState, error: LoomError): void {
  state.error ??= error;
  if (!state.controller.signal.aborted) state.controller.abort(CANCELLED);
}

/** A step's failure as a LoomError that names the step, keeping the code (exit status) and cause. */
export function stepError(error: unknown, stepId: string, hint?: string): LoomError {
  const e = toLoomError(error, 'RUN_STEP_FAILED');
  if (e.stepId === stepId && !hint) return e;
  return new LoomError(e.code, e.message, {
    cause: error,
    hint: [e.hint, hint].filter(Boolean).join('; ') || undefined,
    file: e.file,
    stepId,
    model: e.model,
    diagnostics: e.diagnostics,
    retryable: e.retryable,
    retryAfterMs: e.retryAfterMs,
  });
}

export function newRecord(id: string, kind: string): StepRecord {
  return {
    id,
    kind,
    status: 'not-run',
    warnings: [],
    durationMs: 0,
    attempts: 0,
    usage: { promptTokens: 0, completionTokens: 0, estimated: false, calls: 0, cachedCalls: 0, costUsd: 0 },
  };
}
