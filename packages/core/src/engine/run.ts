import { randomUUID } from 'node:crypto';
import { LoomError } from '../errors.js';
import type { LoadedPipeline } from '../spec/types.js';
import { parseInputs } from '../spec/inputs.js';
import { valueRefs } from '../spec/template.js';
import { effectiveModels } from '../providers/resolve.js';
import { checkDepth, loadChild, recipeDirsOf, resolvePipelineRef } from './child.js';
import { addUsage, createEmitter, emptyUsage, type Emitter } from './events.js';
import { inProcessExecutor, Semaphore } from './executor.js';
import { planPipeline, stepIdsOf, type PlannedStep } from './plan.js';
import { renderParams } from './render.js';
import { closeStores, RunResources, type StoreCache } from './resources.js';
import type { StoreLocation } from '../locate/store.js';
import { CANCELLED, newRecord, stepError, type ChildCall, type RunState } from './state.js';
import { runStep } from './step-runner.js';
import type { RunEvent, RunEventListener, RunOptions, RunResult, StepRecord } from './types.js';

export { DEFAULT_CONCURRENCY } from './budget.js';

/** What a child run inherits from its parent; a top-level run has none. */
interface Lineage {
  /** files of the pipelines above this one */
  chain: string[];
  limiter?: Semaphore;
  stores?: StoreCache;
  /** the parent's store: a child pipeline without `store:` reads it */
  store?: StoreLocation;
}

/**
 * Runs a pipeline: steps as a DAG (template references plus `needs:`), independent steps at
 * once under `options.concurrency` (default 4). Resolves with every step's record whatever
 * happens; a failed or cancelled run has status 'failed'/'cancelled' and `error`.
 * Throws only for problems found before anything runs: SPEC_INVALID (plan), INPUT_INVALID.
 */
export function runPipeline(pipeline: LoadedPipeline, inputs: Record<string, unknown> = {}, options: RunOptions = {}): Promise<RunResult> {
  return runInternal(pipeline, inputs, options, { chain: [pipeline.file ?? pipeline.spec.name] });
}

function checkConcurrency(options: RunOptions): void {
  const n = options.concurrency;
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new LoomError('USAGE', `concurrency must be a whole number ≥ 1, got ${n}`);
}

async function runInternal(pipeline: LoadedPipeline, inputs: Record<string, unknown>, options: RunOptions, lineage: Lineage): Promise<RunResult> {
  const t0 = performance.now();
  checkConcurrency(options);
  const plan = planPipeline(pipeline, { concurrency: options.concurrency });
  const resolved = parseInputs(pipeline, inputs);
  // one budget for the whole run: a child shares its parent's limiter (widened if it declares more)
  const limiter = lineage.limiter ?? new Semaphore(plan.budget.limit);
  limiter.grow(plan.budget.limit);
  const runId = randomUUID();
  const emit = createEmitter(runId, options.listeners);
  const records: Record<string, StepRecord> = {};
  for (const n of plan.steps) records[n.id] = newRecord(n.id, n.kind);
  emit.emit({ type: 'run-start', pipeline: pipeline.spec.name });
  if (options.dryRun) {
    for (const r of Object.values(records)) r.reason = 'dry run';
    return finish(emit, { runId, status: 'ok', outputs: {}, records, t0 });
  }
  const state: RunState = {
    runId, pipeline, plan, options, records, emit, limiter,
    specs: new Map(pipeline.spec.steps.map((s) => [s.id, s])),
    scope: { inputs: resolved, steps: {}, env: {}, run: runInfo(pipeline, options) },
    executor: options.executor ?? inProcessExecutor,
    controller: new AbortController(),
    resources: new RunResources(pipeline, options, options.env ?? process.env, lineage.stores ?? new Map(), lineage.store),
    runChild: (ref, childInputs, call) => runChild(state, lineage, ref, childInputs, call),
  };
  const onCancel = () => state.controller.abort(CANCELLED);
  options.signal?.addEventListener('abort', onCancel, { once: true });
  if (options.signal?.aborted) onCancel();
  try {
    await schedule(state);
    const cancelled = Boolean(options.signal?.aborted);
    let outputs: Record<string, unknown> = {};
    if (!state.error && !cancelled) outputs = await renderOutputs(state);
    const status = cancelled ? 'cancelled' : state.error ? 'failed' : 'ok';
    return finish(emit, { runId, status, outputs, records, t0, error: state.error });
  } finally {
    options.signal?.removeEventListener('abort', onCancel);
    if (!lineage.stores) {
      for (const problem of await closeStores(state.resources.stores)) process.emitWarning(problem);
    }
  }
}

/**
 * `run.*` in templates. `run.offline` (no model configured at all) lets a pipeline branch
 * between a model path and an offline one: `when: "{{ run.offline }}"`.
 */
function runInfo(pipeline: LoadedPipeline, options: RunOptions): RunState['scope']['run'] {
  const models = effectiveModels(pipeline, options);
  const model = models.default ? `${models.default.provider}:${models.default.model}` : null;
  return { offline: Object.keys(models).length === 0, model };
}

/** Starts every step whose dependencies are done, until all are settled or the run stops. */
function schedule(state: RunState): Promise<void> {
  const { plan } = state;
  return new Promise<void>((resolveAll) => {
    const waiting = new Map<string, number>();
    let running = 0;
    const start = (node: PlannedStep) => {
      running++;
      runStep(state, node).then(
        () => settled(node),
        (error) => {
          // runStep records its own failures; reaching here is a bug, still reported on the step
          state.records[node.id].status = 'failed';
          state.records[node.id].error = stepError(error, node.id);
          state.error ??= state.records[node.id].error;
          state.controller.abort(CANCELLED);
          settled(node);
        },
      );
    };
    const settled = (node: PlannedStep) => {
      running--;
      if (!state.controller.signal.aborted) {
        for (const id of node.dependents) {
          const left = waiting.get(id)! - 1;
          waiting.set(id, left);
          if (left === 0) start(plan.byId.get(id)!);
        }
      }
      if (running === 0) resolveAll();
    };
    for (const n of plan.steps) waiting.set(n.id, n.deps.length);
    const roots = plan.steps.filter((n) => n.deps.length === 0);
    if (roots.length === 0) resolveAll();
    for (const n of roots) start(n);
  });
}

/**
 * Outputs that reference a step which did not produce one (skipped) become null, unless the
 * template never reaches it: `{% if run.offline %}{{ steps.a.x }}{% else %}{{ steps.b.x }}{% endif %}`
 * merges two branches of `when:` steps into one output.
 */
async function renderOutputs(state: RunState): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(state.pipeline.spec.outputs ?? {})) {
    const missing = stepIdsOf(valueRefs(value)).some((id) => state.records[id]?.status !== 'ok');
    try {
      out[name] = await renderParams(value, state.scope);
    } catch (error) {
      if (missing) {
        out[name] = null;
        continue;
      }
      state.error = new LoomError('RUN_OUTPUT_INVALID', `output "${name}": ${(error as Error).message}`, {
        cause: error, file: state.pipeline.file, hint: 'check the {{ }} expressions under outputs:',
      });
      return {};
    }
  }
  return out;
}

function finish(
  emit: Emitter,
  r: { runId: string; status: RunResult['status']; outputs: Record<string, unknown>; records: Record<string, StepRecord>; t0: number; error?: LoomError },
): RunResult {
  const usage = emptyUsage();
  const notRun: string[] = [];
  for (const rec of Object.values(r.records)) {
    addUsage(usage, rec.usage);
    if (rec.status === 'not-run' || rec.status === 'cancelled') notRun.push(rec.id);
  }
  const durationMs = performance.now() - r.t0;
  const status = r.error && r.status === 'ok' ? 'failed' : r.status;
  emit.emit({ type: 'run-end', status, durationMs, notRun });
  return { runId: r.runId, status, outputs: r.outputs, steps: r.records, usage, durationMs, error: r.error, notRun };
}

/** Forwards a child run's step events as `<parent step>/<child step>`; its run-start/run-end stay inside. */
function childListeners(parent: RunState, stepId: string): RunEventListener[] | undefined {
  if (!parent.emit.enabled) return undefined;
  return [
    (event: RunEvent) => {
      if (event.type === 'run-start' || event.type === 'run-end') return;
      const { runId: _runId, at: _at, ...body } = event;
      parent.emit.emit({ ...body, step: `${stepId}/${event.step}` });
    },
  ];
}

async function runChild(state: RunState, lineage: Lineage, ref: string, inputs: Record<string, unknown>, call: ChildCall): Promise<Record<string, unknown>> {
  const file = resolvePipelineRef(ref, state.pipeline, recipeDirsOf(state.options));
  checkDepth(lineage.chain, file);
  const child = await loadChild(file, state.options);
  const { slot } = call;
  // Hand our slot back while the child runs: its steps take slots from the same bound,
  // and holding ours would deadlock a run with concurrency 1.
  if (++slot.children === 1) slot.lend();
  try {
    const options: RunOptions = { ...state.options, signal: call.signal, listeners: childListeners(state, call.stepId), onToken: undefined, dryRun: false };
    const result = await runInternal(child, inputs, options, { chain: [...lineage.chain, file], limiter: state.limiter, stores: state.resources.stores, store: state.resources.store });
    addUsage(call.record.usage, result.usage);
    if (result.status === 'cancelled') throw CANCELLED;
    if (result.error) {
      const inner = result.error;
      throw new LoomError(inner.code, `in ${ref}: ${inner.stepId ? `step "${inner.stepId}": ` : ''}${inner.message}`, {
        cause: inner, hint: inner.hint, file: inner.file, model: inner.model, retryable: false,
      });
    }
    return result.outputs;
  } finally {
    if (--slot.children === 0) await slot.reclaim();
  }
}
