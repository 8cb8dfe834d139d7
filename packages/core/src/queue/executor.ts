import { readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
import { LoomError } from '../errors.js';
import type { ModelConfig } from '../spec/types.js';
import type { Executor, ExecutorTask } from '../engine/types.js';
import { checkRedis, connectionOptions, DEFAULT_PREFIX, parseQueueUrl, STEP_QUEUE, type QueueTarget } from './connection.js';
import { deserializeError, hashSource, stepJobId, type StepJobData, type StepJobResult } from './job.js';
import { applyRate, type Rate } from './rate.js';

export interface QueueExecutorOptions extends QueueTarget {
  /** the queue-wide model rate limit, shared by every worker (BullMQ's global limiter) */
  rate?: Rate;
  /** forwarded to workers: `--model`, `--store`, `--no-cache` of the client */
  models?: Record<string, ModelConfig>;
  store?: string;
  cache?: boolean;
  /**
   * How often jobs still pending are looked up in Redis (default 5 s): catches a completion
   * whose event was missed across a reconnect, and re-adds jobs a restarted Redis lost.
   */
  reconcileMs?: number;
}

/** An Executor that sends each attempt to `loom worker`s through a BullMQ queue on Redis. */
export interface QueueExecutor extends Executor {
  /** jobs enqueued and not yet settled */
  readonly pending: number;
  close(): Promise<void>;
}

interface Pending {
  data: StepJobData;
  task: ExecutorTask<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Callers waiting on one job id; the same attempt enqueued twice is one job with one result. */
type Waiters = Pending[];

const JOB_OPTIONS = {
  attempts: 1, // retries, backoff and Retry-After stay in the engine, as in process
  // kept an hour so a client that missed the event can still read the result, and a duplicate add is a no-op
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 3600 },
};

/** Connects (failing fast with QUEUE_UNAVAILABLE when Redis does not answer) and returns the executor. */
export async function createQueueExecutor(options: QueueExecutorOptions): Promise<QueueExecutor> {
  const url = parseQueueUrl(options.url);
  await checkRedis(url);
  const { Queue, QueueEvents, Job } = await import('bullmq');
  const base = { connection: connectionOptions(url), prefix: options.prefix ?? DEFAULT_PREFIX };
  const queue = new Queue(STEP_QUEUE, base);
  const events = new QueueEvents(STEP_QUEUE, base);
  events.on('error', () => {}); // ioredis reconnects by itself; without a listener the error would be thrown
  queue.on('error', () => {});
  await events.waitUntilReady();
  if (options.rate) await applyRate(queue, options.rate);
  const pending = new Map<string, Waiters>();
  const hashes = new Map<string, string>();

  const settle = (id: string, result: StepJobResult | { failedReason: string }) => {
    const waiters = pending.get(id);
    if (!waiters) return; // settled already, or given up by its run: a second completion changes nothing
    pending.delete(id);
    for (const [i, p] of waiters.entries()) {
      if ('failedReason' in result) {
        p.reject(new LoomError('RUN_STEP_FAILED', `queue job ${id} failed: ${result.failedReason}`, { retryable: true }));
        continue;
      }
      const worker = result.worker;
      // the calls were made once: only the first waiter accounts for them
      if (i === 0) p.task.report?.({ calls: result.calls.map((c) => ({ ...c, worker })), warnings: result.warnings });
      if (result.ok) p.resolve(result.output);
      else p.reject(deserializeError(result.error, worker));
    }
  };
  events.on('completed', ({ jobId, returnvalue }) => settle(jobId, parseResult(returnvalue)));
  events.on('failed', ({ jobId, failedReason }) => settle(jobId, { failedReason }));

  const reconcile = startReconcile(queue, Job, pending, settle, options.reconcileMs ?? 5000);

  return {
    get pending() {
      return pending.size;
    },
    execute<T>(task: ExecutorTask<T>): Promise<T> {
      // a `pipeline` step only orchestrates its child run, whose steps come back through here
      if (task.kind === 'pipeline') return task.run();
      const data = jobData(task, options, hashes);
      const id = stepJobId(data.runId, data.stepId, data.item, data.attempt);
      return new Promise<T>((resolve, reject) => {
        const waiter: Pending = { data, task: task as ExecutorTask<unknown>, resolve: resolve as (v: unknown) => void, reject };
        const waiters = pending.get(id);
        if (waiters) waiters.push(waiter);
        else pending.set(id, [waiter]);
        const drop = (error: unknown) => {
          const list = pending.get(id);
          if (!list?.includes(waiter)) return false;
          list.splice(list.indexOf(waiter), 1);
          if (list.length === 0) pending.delete(id);
          reject(error);
          return true;
        };
        task.signal?.addEventListener('abort', () => {
          // a waiting job is withdrawn; one already running finishes and is ignored
          if (drop(task.signal!.reason) && !pending.has(id)) queue.remove(id).catch(() => {});
        }, { once: true });
        queue.add(data.kind, data, { ...JOB_OPTIONS, jobId: id }).catch((error: unknown) => {
          drop(new LoomError('QUEUE_UNAVAILABLE', `cannot enqueue ${id}: ${(error as Error).message}`, { cause: error, retryable: true }));
        });
      });
    },
    async close() {
      clearInterval(reconcile);
      await events.close();
      await queue.close();
    },
  };
}

function jobData(task: ExecutorTask<unknown>, options: QueueExecutorOptions, hashes: Map<string, string>): StepJobData {
  if (!task.file || !task.runId || !task.kind) {
    throw new LoomError('USAGE', `step "${task.stepId}" cannot run on a queue: its pipeline was not loaded from a file`, {
      hint: 'workers load the pipeline by path: save it to a file every worker can read',
    });
  }
  let sourceHash = hashes.get(task.file);
  if (!sourceHash) {
    sourceHash = hashSource(readFileSync(task.file, 'utf8'));
    hashes.set(task.file, sourceHash);
  }
  return {
    runId: task.runId, stepId: task.stepId, item: task.item, attempt: task.attempt ?? 1, kind: task.kind,
    params: task.params ?? {}, file: task.file, sourceHash, models: options.models, store: options.store, cache: options.cache,
  };
}

function parseResult(value: unknown): StepJobResult {
  return (typeof value === 'string' ? JSON.parse(value) : value) as StepJobResult;
}

/** The safety net under the event stream; see QueueExecutorOptions.reconcileMs. */
function startReconcile(
  queue: Queue, Job: typeof import('bullmq').Job, pending: Map<string, Waiters>,
  settle: (id: string, result: StepJobResult | { failedReason: string }) => void, everyMs: number,
): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || pending.size === 0) return;
    busy = true;
    void (async () => {
      for (const [id, [p]] of [...pending]) {
        const state = await queue.getJobState(id);
        if (state === 'completed' || state === 'failed') {
          const job = await Job.fromId(queue, id);
          if (job) settle(id, state === 'completed' ? parseResult(job.returnvalue) : { failedReason: job.failedReason });
        } else if (state === 'unknown' && p && pending.has(id)) {
          await queue.add(p.data.kind, p.data, { ...JOB_OPTIONS, jobId: id });
        }
      }
    })().catch(() => {}).finally(() => {
      busy = false;
    });
  }, everyMs);
  timer.unref();
  return timer;
}
