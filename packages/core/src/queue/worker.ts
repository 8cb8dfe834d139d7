import { readFile } from 'node:fs/promises';
import type { Job } from 'bullmq';
import { LoomError } from '../errors.js';
import { loadPipeline } from '../spec/load.js';
import type { LoadedPipeline } from '../spec/types.js';
import { getStep } from '../steps/index.js';
import { wrapModel } from '../engine/model.js';
import { closeStores, RunResources, type StoreCache } from '../engine/resources.js';
import type { ModelCallRecord, RunOptions, StepContext } from '../engine/types.js';
import { checkRedis, connectionOptions, DEFAULT_PREFIX, parseQueueUrl, STEP_QUEUE, type QueueTarget } from './connection.js';
import { hashSource, serializeError, workerName, type StepJobData, type StepJobResult } from './job.js';
import { applyRate, type Rate } from './rate.js';

export interface QueueWorkerOptions extends QueueTarget {
  /** jobs this worker runs at once (default 8) */
  concurrency?: number;
  /** store for retrieve steps when neither the pipeline nor the client names one */
  store?: string;
  rate?: Rate;
  env?: Record<string, string | undefined>;
  /**
   * How long a job's lock lives without renewal (BullMQ default 30 s): after a worker dies its
   * jobs go to another worker within about this time plus `stalledIntervalMs`.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** called as jobs start and end (progress on a terminal) */
  onJob?: (event: { id: string; phase: 'start' | 'end'; ok?: boolean }) => void;
  /** replaces resolveModel (tests, custom providers), as in RunOptions */
  resolveModel?: RunOptions['resolveModel'];
}

export interface QueueWorker {
  readonly name: string;
  /** jobs finished by this worker */
  readonly processed: number;
  /** stops taking jobs, waits for the running ones, closes stores and connections */
  close(): Promise<void>;
}

interface Loaded {
  hash: string;
  pipeline: LoadedPipeline;
}

/** Starts a worker that runs step attempts from the queue until closed. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const url = parseQueueUrl(options.url);
  await checkRedis(url);
  const { Worker, Queue } = await import('bullmq');
  const base = { connection: connectionOptions(url), prefix: options.prefix ?? DEFAULT_PREFIX };
  if (options.rate) {
    const queue = new Queue(STEP_QUEUE, base);
    await applyRate(queue, options.rate);
    await queue.close();
  }
  const name = workerName();
  const env = options.env ?? process.env;
  const pipelines = new Map<string, Promise<Loaded>>();
  const resources = new Map<string, { res: RunResources; options: RunOptions }>();
  const stores: StoreCache = new Map();
  let processed = 0;

  const processor = async (job: Job<StepJobData>, _token?: string, signal?: AbortSignal): Promise<StepJobResult> => {
    options.onJob?.({ id: job.id!, phase: 'start' });
    const calls: ModelCallRecord[] = [];
    const warnings: string[] = [];
    let result: StepJobResult;
    try {
      const output = await runStepJob(job.data, { signal: signal ?? new AbortController().signal, calls, warnings });
      result = { ok: true, output, calls, warnings, worker: name };
    } catch (error) {
      const e = serializeError(error);
      // a 429 pauses the whole queue, not just this worker: every worker waits out the Retry-After
      if (e.code === 'PROVIDER_RATE_LIMIT' && e.retryAfterMs) await worker.rateLimit(e.retryAfterMs).catch(() => {});
      result = { ok: false, error: e, calls, warnings, worker: name };
    }
    processed++;
    options.onJob?.({ id: job.id!, phase: 'end', ok: result.ok });
    return result;
  };

  async function runStepJob(data: StepJobData, io: { signal: AbortSignal; calls: ModelCallRecord[]; warnings: string[] }): Promise<unknown> {
    const { pipeline } = await pipelineFor(data);
    const def = getStep(data.kind);
    if (!def) throw new LoomError('CONFIG_INVALID', `this worker has no step kind "${data.kind}"`, { hint: 'run the same promptloom version (and custom steps) on every worker' });
    const step = pipeline.spec.steps.find((s) => s.id === data.stepId.split('/').pop());
    if (!step) throw new LoomError('CONFIG_INVALID', `${pipeline.file}: no step "${data.stepId}" in the worker's copy`);
    const { res, options: runOptions } = resourcesFor(pipeline, data);
    const handle = def.callsModel ? await res.model(step.model) : undefined;
    const ctx: StepContext = {
      stepId: data.stepId, step, pipeline, signal: io.signal,
      model: handle && wrapModel(handle, { signal: io.signal, cache: data.cache, record: (c) => io.calls.push(c) }),
      openStore: (dir?: string) => res.openStore(dir),
      warn: (message) => {
        if (!io.warnings.includes(message)) io.warnings.push(message);
      },
      runChild: () => Promise.reject(new LoomError('INTERNAL', 'a pipeline step runs on the client, not on a worker')),
      options: runOptions,
    };
    return def.run(data.params, ctx);
  }

  /** Loads each pipeline file once; refuses a job when the worker's copy differs from the client's. */
  async function pipelineFor(data: StepJobData): Promise<Loaded> {
    const key = `${data.file}\0${data.sourceHash}`;
    let loaded = pipelines.get(key);
    if (!loaded) {
      loaded = (async () => {
        const text = await readFile(data.file, 'utf8').catch((error: unknown) => {
          throw new LoomError('SPEC_NOT_FOUND', `worker ${name} cannot read ${data.file}: ${(error as Error).message}`, {
            hint: 'every worker must see the pipeline (and its prompts) at the same path as the client',
          });
        });
        const hash = hashSource(text);
        if (hash !== data.sourceHash) {
          throw new LoomError('CONFIG_INVALID', `worker ${name} has another version of ${data.file} than the client`, {
            hint: 'deploy the same pipeline files to every worker before enqueuing',
          });
        }
        return { hash, pipeline: await loadPipeline(data.file) };
      })();
      pipelines.set(key, loaded);
      loaded.catch(() => pipelines.delete(key));
    }
    return loaded;
  }

  /** Models and stores per pipeline and client options, kept for the worker's life. */
  function resourcesFor(pipeline: LoadedPipeline, data: StepJobData): { res: RunResources; options: RunOptions } {
    const key = `${data.file}\0${data.sourceHash}\0${JSON.stringify([data.models, data.store, data.cache])}`;
    let entry = resources.get(key);
    if (!entry) {
      const runOptions: RunOptions = {
        models: data.models, store: data.store ?? options.store, cache: data.cache, env, resolveModel: options.resolveModel,
      };
      entry = { res: new RunResources(pipeline, runOptions, env, stores), options: runOptions };
      resources.set(key, entry);
    }
    return entry;
  }

  const worker = new Worker<StepJobData, StepJobResult>(STEP_QUEUE, processor, {
    ...base,
    concurrency: options.concurrency ?? 8,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    // a job whose worker died goes back to the queue; only one that keeps killing workers fails
    maxStalledCount: 5,
    autorun: true,
  });
  worker.on('error', () => {}); // connection errors: ioredis reconnects; nothing to do here
  await worker.waitUntilReady();

  return {
    name,
    get processed() {
      return processed;
    },
    async close() {
      await worker.close();
      for (const problem of await closeStores(stores)) process.emitWarning(problem);
    },
  };
}
