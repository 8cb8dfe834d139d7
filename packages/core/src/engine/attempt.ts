import { LoomError } from '../errors.js';
import type { ModelHandle } from '../providers/types.js';
import type { Scope } from '../spec/template.js';
import type { StepSpec } from '../spec/types.js';
import { emptyUsage, type Usage } from './events.js';
import { AttemptSlots } from './budget.js';
import { recordModelCall, wrapModel } from './model.js';
import type { PlannedStep } from './plan.js';
import { PROMPT_TEMPLATE_PARAMS, PROMPT_VARIABLES } from '../steps/params.js';
import { renderParams } from './render.js';
import { decideRetry, retryPolicy, sleep } from './retry.js';
import { CANCELLED, isCancel, stepError, whenStopped, type RunState, type Slot } from './state.js';
import type { StepContext, StepDefinition, StepRecord } from './types.js';

/** One step (or one foreach item of it) about to run. */
export interface Unit {
  state: RunState;
  node: PlannedStep;
  step: StepSpec;
  def: StepDefinition;
  record: StepRecord;
  model: ModelHandle | undefined;
}

function checkParams(unit: Unit, rendered: unknown): Record<string, unknown> {
  const parsed = unit.def.params.safeParse(rendered);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`).join('; ');
  throw new LoomError('RUN_STEP_FAILED', `invalid ${unit.node.kind} parameters after rendering templates: ${issues}`, {
    hint: 'check what the {{ }} expressions in this step produce (`loom run --events -` shows each step)',
  });
}

/**
 * The step's parameters rendered with the pipeline's scope, except prompt overrides (`system:`,
 * `prompt:` of answer, summarize, translate): those are the step's own templates, rendered with
 * its prompt variables (`{{ language }}`, `{{ sentinel }}`).
 */
async function renderStepParams(step: StepSpec, scope: Scope): Promise<unknown> {
  if (!PROMPT_VARIABLES[step.kind]) return renderParams(step.params, scope);
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step.params)) (PROMPT_TEMPLATE_PARAMS.includes(k) ? own : rest)[k] = v;
  const rendered = await renderParams(rest, scope);
  return { ...(rendered as Record<string, unknown>), ...own };
}

/**
 * Runs one unit with its retry policy. Each attempt takes a global slot; the backoff wait
 * between attempts does not hold one. Throws CANCELLED when the run stops meanwhile.
 */
export async function runUnit(unit: Unit, scope: Scope, item?: number): Promise<unknown> {
  const { state, node, step, def, record } = unit;
  const params = checkParams(unit, await renderStepParams(step, scope));
  const policy = retryPolicy(step, def.callsModel && unit.model !== undefined);
  const itemUsage = item === undefined ? undefined : emptyUsage();
  const t0 = performance.now();
  for (let attempt = 1; ; attempt++) {
    const wait = state.limiter.acquire();
    if (wait) await wait;
    const slot = new AttemptSlots(state.limiter);
    let failure: unknown;
    try {
      if (state.controller.signal.aborted) throw CANCELLED;
      record.attempts++;
      if (state.emit.enabled) state.emit.emit({ type: 'step-start', step: node.id, kind: node.kind, attempt, item });
      const output = await runAttempt(unit, params, attempt, slot, item, itemUsage);
      if (itemUsage && state.emit.enabled) {
        state.emit.emit({ type: 'step-end', step: node.id, kind: node.kind, durationMs: performance.now() - t0, usage: itemUsage, item });
      }
      return output;
    } catch (error) {
      failure = error;
    } finally {
      slot.finish();
    }
    if (isCancel(failure, state)) throw CANCELLED;
    const decision = decideRetry(policy, attempt, failure);
    if (!decision.retry) throw finalError(failure, node.id, attempt, decision.reason);
    if (state.emit.enabled) {
      const message = failure instanceof Error ? failure.message : String(failure);
      state.emit.emit({ type: 'step-retry', step: node.id, attempt: attempt + 1, delayMs: decision.delayMs, error: message });
    }
    await sleep(decision.delayMs, state.controller.signal).catch(() => {
      throw CANCELLED;
    });
  }
}

/** The error a unit gives up with: says how many attempts were made when there was more than one. */
function finalError(failure: unknown, stepId: string, attempts: number, reason?: string): unknown {
  if (attempts === 1 && !reason) return failure;
  const e = stepError(failure, stepId, reason);
  if (attempts === 1) return e;
  return new LoomError(e.code, `${e.message} (gave up after ${attempts} attempts)`, {
    cause: e.cause ?? failure, hint: e.hint, file: e.file, stepId, model: e.model,
    diagnostics: e.diagnostics, retryable: e.retryable, retryAfterMs: e.retryAfterMs,
  });
}

function timeoutError(stepId: string, ms: number, item?: number): LoomError {
  // the step id is on the error (stepId) and printed before the message: not repeated in it
  const what = item === undefined ? 'the attempt' : `item ${item}`;
  return new LoomError('RUN_TIMEOUT', `${what} timed out after ${ms} ms`, {
    stepId,
    retryable: true,
    hint: 'raise the step\'s timeout_ms, or check that the model server answers',
  });
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (timeout, cancel). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function execute(unit: Unit, params: Record<string, unknown>, attempt: number, signal: AbortSignal, slot: Slot, item?: number, itemUsage?: Usage): Promise<unknown> {
  const { state, node, def } = unit;
  const ctx = makeContext(unit, signal, slot, item, itemUsage);
  const usages = itemUsage ? [unit.record.usage, itemUsage] : [unit.record.usage];
  return state.executor.execute({
    runId: state.runId, stepId: node.id, item, kind: node.kind, params, attempt, signal, file: state.pipeline.file,
    run: () => def.run(params, ctx),
    report: (remote) => {
      for (const call of remote.calls) recordModelCall(state, { stepId: node.id, item, usages }, call);
      for (const message of remote.warnings) ctx.warn(message);
    },
  });
}

/**
 * One attempt. Without `timeout_ms` the step gets the run's own signal; with one, a signal of
 * its own that also aborts when the timer fires. Either way the attempt settles as soon as
 * its signal aborts, even if the step ignores it.
 */
async function runAttempt(unit: Unit, params: Record<string, unknown>, attempt: number, slot: Slot, item?: number, itemUsage?: Usage): Promise<unknown> {
  const { state, node, step } = unit;
  const runSignal = state.controller.signal;
  const ms = step.timeout_ms;
  if (!ms) return Promise.race([execute(unit, params, attempt, runSignal, slot, item, itemUsage), whenStopped(state)]);
  const ac = new AbortController();
  const onRunAbort = () => ac.abort(CANCELLED);
  runSignal.addEventListener('abort', onRunAbort, { once: true });
  const timer = setTimeout(() => ac.abort(timeoutError(node.id, ms, item)), ms);
  try {
    return await untilAborted(execute(unit, params, attempt, ac.signal, slot, item, itemUsage), ac.signal);
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', onRunAbort);
  }
}

function makeContext(unit: Unit, signal: AbortSignal, slot: Slot, item?: number, itemUsage?: Usage): StepContext {
  const { state, node, step, record, model } = unit;
  const usages = itemUsage ? [record.usage, itemUsage] : [record.usage];
  return {
    stepId: node.id,
    step,
    pipeline: state.pipeline,
    signal,
    model: model && wrapModel(model, {
      signal, cache: state.options.cache, slot, record: (call) => recordModelCall(state, { stepId: node.id, item, usages }, call),
    }),
    openStore: (dir?: string) => state.resources.openStore(dir),
    warn: (message: string) => {
      const text = item === undefined ? message : `item ${item}: ${message}`;
      if (record.warnings.includes(text)) return;
      record.warnings.push(text);
      if (state.emit.enabled) state.emit.emit({ type: 'step-warning', step: node.id, message: text });
    },
    runChild: (ref: string, inputs: Record<string, unknown>) => state.runChild(ref, inputs, { signal, record, stepId: node.id, slot }),
    onToken: item === undefined && node.id === state.plan.streamStep ? state.options.onToken : undefined,
    options: state.options,
  };
}
