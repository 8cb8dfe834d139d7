import { randomUUID } from 'node:crypto';
import { toLoomError } from '../errors.js';
import type { LoadedPipeline } from '../spec/types.js';
import { runPipeline } from '../engine/run.js';
import { createEmitter, emptyUsage, type Emitter } from '../engine/events.js';
import type { RunEvent, RunEventListener, RunOptions, RunResult } from '../engine/types.js';

/** One input line's run, delivered in input order. */
export interface BatchLineResult {
  /** 0-based position in the inputs */
  index: number;
  runId: string;
  status: RunResult['status'];
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string; step?: string };
}

export interface BatchOptions {
  /** options for every line's run (executor, models, store, concurrency within a run, signal) */
  run?: RunOptions;
  /** runs in flight at once (default 4) */
  parallel?: number;
  /** the batch as one run: its id, the lines' model calls and per-step item counts (the run ledger) */
  listeners?: RunEventListener[];
  /** each line's result, strictly in input order */
  onResult?: (result: BatchLineResult) => void;
}

export interface BatchSummary {
  batchId: string;
  total: number;
  ok: number;
  failed: number;
  cancelled: number;
  durationMs: number;
}

/**
 * Runs the pipeline once per input, `parallel` at a time, handing results back in input order
 * whatever order they finish in. A failed line does not stop the others.
 */
export async function runBatch(pipeline: LoadedPipeline, inputs: readonly Record<string, unknown>[], options: BatchOptions = {}): Promise<BatchSummary> {
  const t0 = performance.now();
  const batchId = randomUUID();
  const emit = createEmitter(batchId, options.listeners);
  const summary: BatchSummary = { batchId, total: inputs.length, ok: 0, failed: 0, cancelled: 0, durationMs: 0 };
  emit.emit({ type: 'run-start', pipeline: pipeline.spec.name });
  const deliver = inOrder((r: BatchLineResult) => {
    summary[r.status === 'ok' ? 'ok' : r.status === 'failed' ? 'failed' : 'cancelled']++;
    options.onResult?.(r);
  });
  const lineOptions = (index: number): RunOptions => ({
    ...options.run,
    listeners: emit.enabled ? [forwardLine(emit, index)] : undefined,
    onToken: undefined,
  });
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const index = next++;
      deliver(index, await runLine(pipeline, inputs[index], index, lineOptions(index)));
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? 4, inputs.length));
  await Promise.all(Array.from({ length: parallel }, lane));
  summary.durationMs = performance.now() - t0;
  const stepIds = pipeline.spec.steps.map((s) => s.id);
  for (const step of stepIds) {
    const kind = pipeline.spec.steps.find((s) => s.id === step)!.kind;
    if (summary.ok > 0) emit.emit({ type: 'step-end', step, kind, durationMs: summary.durationMs, usage: emptyUsage() });
  }
  const status = options.run?.signal?.aborted ? 'cancelled' : summary.failed > 0 ? 'failed' : 'ok';
  emit.emit({ type: 'run-end', status, durationMs: summary.durationMs, notRun: [] });
  return summary;
}

async function runLine(pipeline: LoadedPipeline, inputs: Record<string, unknown>, index: number, options: RunOptions): Promise<BatchLineResult> {
  try {
    const result = await runPipeline(pipeline, inputs, options);
    const e = result.error;
    return {
      index, runId: result.runId, status: result.status,
      ...(result.status === 'ok' ? { outputs: result.outputs } : {}),
      ...(e ? { error: { code: e.code, message: e.message, step: e.stepId } } : {}),
    };
  } catch (error) {
    // problems found before the run starts (INPUT_INVALID): this line fails, the batch goes on
    const e = toLoomError(error);
    return { index, runId: '', status: 'failed', error: { code: e.code, message: e.message } };
  }
}

/** Calls `sink` with results in index order, holding back those that finish early. */
function inOrder<T>(sink: (value: T) => void): (index: number, value: T) => void {
  const held = new Map<number, T>();
  let expected = 0;
  return (index, value) => {
    held.set(index, value);
    while (held.has(expected)) {
      const v = held.get(expected)!;
      held.delete(expected++);
      sink(v);
    }
  };
}

/**
 * A line's events, re-stamped as the batch's: its model calls and warnings as they are, each
 * finished step as one item of the batch's step (so the ledger counts lines done per step).
 */
function forwardLine(batch: Emitter, index: number): RunEventListener {
  return (event: RunEvent) => {
    const { runId: _runId, at: _at, ...body } = event;
    switch (body.type) {
      case 'run-start':
      case 'run-end':
      case 'step-skip':
        return;
      case 'step-end':
        if (body.item === undefined && !body.step.includes('/')) batch.emit({ ...body, item: index });
        return;
      case 'model-call':
        batch.emit({ ...body, item: index });
        return;
      default:
        batch.emit(body);
    }
  };
}

