import { LoomError } from '../errors.js';
import { evalCondition } from '../spec/template.js';
import { getStep } from '../steps/registry.js';
import type { PlannedStep } from './plan.js';
import { renderParams } from './render.js';
import { CANCELLED, failRun, isCancel, stepError, type RunState } from './state.js';
import { runUnit, type Unit } from './attempt.js';
import type { StepDefinition, StepRecord } from './types.js';

function skip(state: RunState, record: StepRecord, reason: string): void {
  record.status = 'skipped';
  record.reason = reason;
  if (state.emit.enabled) state.emit.emit({ type: 'step-skip', step: record.id, reason });
}

function definitionOf(node: PlannedStep): StepDefinition {
  const def = getStep(node.kind);
  if (!def) {
    throw new LoomError('CONFIG_INVALID', `step kind "${node.kind}" is known but not available in this build`, {
      stepId: node.id,
      hint: 'register it with defineStep before running, or update @promptloom/core',
    });
  }
  return def;
}

/**
 * Runs one step to its final status: skipped (a `when:` that is false, or a referenced step
 * that was skipped), ok, failed (which fails the run) or cancelled.
 */
export async function runStep(state: RunState, node: PlannedStep): Promise<void> {
  const record = state.records[node.id];
  const skippedRef = node.refs.find((d) => state.records[d].status === 'skipped');
  if (skippedRef) return skip(state, record, `depends on skipped step "${skippedRef}"`);
  if (state.controller.signal.aborted) return;
  const step = state.specs.get(node.id)!;
  const t0 = performance.now();
  try {
    if (step.when && !(await evalCondition(step.when, state.scope))) return skip(state, record, `when: ${step.when} is false`);
    const def = definitionOf(node);
    const model = def.callsModel ? await state.resources.model(step.model) : undefined;
    const unit: Unit = { state, node, step, def, record, model };
    const output = step.foreach === undefined ? await runUnit(unit, state.scope) : await runForeach(unit, step.foreach);
    record.status = 'ok';
    record.output = output;
    state.scope.steps[node.id] = output;
    record.durationMs = performance.now() - t0;
    if (state.emit.enabled) {
      state.emit.emit({ type: 'step-end', step: node.id, kind: node.kind, durationMs: record.durationMs, usage: { ...record.usage } });
    }
  } catch (error) {
    record.durationMs = performance.now() - t0;
    if (isCancel(error, state)) {
      record.status = 'cancelled';
      record.reason = 'the run was stopped while the step ran';
      return;
    }
    const err = stepError(error, node.id);
    record.status = 'failed';
    record.error = err;
    failRun(state, err);
    if (state.emit.enabled) state.emit.emit({ type: 'step-error', step: node.id, code: err.code, message: err.message });
  }
}

/**
 * Runs a foreach step's items through a pool of workers, as many as the step's effective
 * concurrency (plan.ts). The step itself holds no global slot (each item attempt takes one),
 * so items can never wait on their own parent.
 */
async function runForeach(unit: Unit, foreach: string): Promise<unknown[]> {
  const { state, node, step, record } = unit;
  const items = await renderParams(foreach, state.scope);
  if (!Array.isArray(items)) {
    const got = items === null ? 'null' : typeof items;
    throw new LoomError('RUN_STEP_FAILED', `foreach of step "${node.id}" must give a list, got ${got}`, {
      hint: `foreach: "${foreach}" should name an array, e.g. "{{ steps.hits.hits }}"`,
    });
  }
  record.items = items.length;
  if (state.emit.enabled) state.emit.emit({ type: 'step-start', step: node.id, kind: node.kind, attempt: 1 });
  const results: unknown[] = new Array(items.length);
  const as = step.as ?? 'item';
  const n = items.length;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      if (state.controller.signal.aborted) throw CANCELLED;
      const i = next++;
      const scope = { ...state.scope, [as]: items[i], loop: { index: i + 1, index0: i, first: i === 0, last: i === n - 1, length: n } };
      results[i] = await runUnit(unit, scope, i);
    }
  };
  const workers = Math.max(1, Math.min(n, node.concurrency?.effective ?? state.limiter.limit));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
