import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { LoomError, isLoomError, toLoomError, type ErrorCode, ERROR_CODES } from '../errors.js';
import type { ModelConfig } from '../spec/types.js';
import type { ModelCallRecord } from '../engine/types.js';

/** What a worker needs to run one attempt: everything plain JSON, nothing secret (keys stay in each worker's env). */
export interface StepJobData {
  runId: string;
  stepId: string;
  item?: number;
  attempt: number;
  kind: string;
  params: Record<string, unknown>;
  /** absolute path of the pipeline file; every worker must see the same file there */
  file: string;
  /** sha256 of the client's pipeline text: a worker holding another version refuses the job */
  sourceHash: string;
  models?: Record<string, ModelConfig>;
  store?: string;
  cache?: boolean;
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  hint?: string;
  retryable: boolean;
  retryAfterMs?: number;
  model?: string;
}

/** A job's return value. A step's own failure is a result too, so BullMQ never retries it: the engine decides. */
export type StepJobResult =
  | { ok: true; output: unknown; calls: ModelCallRecord[]; warnings: string[]; worker: string }
  | { ok: false; error: SerializedError; calls: ModelCallRecord[]; warnings: string[]; worker: string };

/**
 * The job id: run, step, item index and attempt. Adding a job whose id exists is a no-op in
 * BullMQ and a job completes once (its lock token is checked), so a job taken over after a
 * crash, or enqueued twice, yields one result. The attempt is part of the id because the
 * engine's own retry of a failed attempt is new work.
 */
export function stepJobId(runId: string, stepId: string, item: number | undefined, attempt: number): string {
  // BullMQ ids may not contain ':'; child step ids use '/', which is fine
  return `${runId}.${stepId}.${item ?? 'step'}.${attempt}`;
}

export function hashSource(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

/** host:pid, shown in `loom runs show` and the events. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

export function serializeError(error: unknown): SerializedError {
  const e = toLoomError(error, 'RUN_STEP_FAILED');
  // errors that are not LoomErrors are assumed transient by the engine: keep that on the client
  const retryable = isLoomError(error) ? e.retryable : true;
  return { code: e.code, message: e.message, hint: e.hint, retryable, retryAfterMs: e.retryAfterMs, model: e.model };
}

export function deserializeError(e: SerializedError, worker: string): LoomError {
  const code = (ERROR_CODES as readonly string[]).includes(e.code) ? e.code : 'INTERNAL';
  return new LoomError(code, `${e.message} (on worker ${worker})`, {
    hint: e.hint, retryable: e.retryable, retryAfterMs: e.retryAfterMs, model: e.model,
  });
}
