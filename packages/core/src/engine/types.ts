import type { z } from 'zod';
import type { LoadedPipeline, StepSpec } from '../spec/types.js';
import type { ModelHandle, TokenUsage } from '../providers/types.js';
import type { LoomError } from '../errors.js';

/** What a step's `run` receives besides its rendered parameters. Kept small on purpose. */
export interface StepContext {
  stepId: string;
  step: StepSpec;
  pipeline: LoadedPipeline;
  signal: AbortSignal;
  /** the model named by the step's `model:` (or `default`), or undefined: offline defaults run */
  model: ModelHandle | undefined;
  /** opens the document store (cached for the run); dir defaults to the pipeline's `store:` */
  openStore(dir?: string): Promise<unknown>;
  /** a non-fatal problem, reported in the step's result and events */
  warn(message: string): void;
  /** runs another pipeline by recipe name or path (the `pipeline` step) */
  runChild(ref: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** set on the step whose model output should stream to the terminal */
  onToken?: (delta: string) => void;
  /** free-form options passed through runPipeline (e.g. store dir, cache on/off) */
  options: RunOptions;
}

/** A step kind. Built-in kinds are registered through the same `defineStep` users call. */
export interface StepDefinition<P = Record<string, unknown>, O = unknown> {
  kind: string;
  description: string;
  /** zod schema of the parameters (after templates are rendered); also feeds the JSON Schema */
  params: z.ZodType<P>;
  /** the fields of the output object, for reference checking (`steps.<id>.<field>`) */
  outputs: string[];
  /** true when the kind calls a model when one is configured (for `loom plan`) */
  callsModel: boolean;
  /** most model calls one run of this step can make (for `loom plan`); 'unbounded' for map-reduce */
  maxCalls?: (params: Record<string, unknown>) => number | 'unbounded';
  run(params: P, ctx: StepContext): Promise<O>;
}

export type StepStatus = 'ok' | 'skipped' | 'failed' | 'cancelled' | 'not-run';

export interface StepRecord {
  id: string;
  kind: string;
  status: StepStatus;
  /** why a step was skipped or did not run */
  reason?: string;
  /** number of items of a `foreach` step */
  items?: number;
  output?: unknown;
  error?: LoomError;
  warnings: string[];
  durationMs: number;
  attempts: number;
  usage: TokenUsage & { calls: number; cachedCalls: number; costUsd: number };
}

export type RunEvent =
  | { type: 'run-start'; runId: string; pipeline: string; at: string }
  | { type: 'step-start'; runId: string; step: string; kind: string; attempt: number; item?: number; at: string }
  | { type: 'step-end'; runId: string; step: string; kind: string; durationMs: number; usage: StepRecord['usage']; item?: number; at: string }
  | { type: 'step-skip'; runId: string; step: string; reason: string; at: string }
  | { type: 'step-retry'; runId: string; step: string; attempt: number; delayMs: number; error: string; at: string }
  | { type: 'step-error'; runId: string; step: string; code: string; message: string; at: string }
  | { type: 'step-warning'; runId: string; step: string; message: string; at: string }
  | ({ type: 'model-call'; runId: string; step: string; at: string; item?: number } & ModelCallRecord)
  | { type: 'run-end'; runId: string; status: 'ok' | 'failed' | 'cancelled'; durationMs: number; notRun: string[]; at: string };

export type RunEventListener = (event: RunEvent) => void;

/**
 * Runs step work. In-process by default; a queue-backed executor can take its place.
 * One task is one attempt of one step (or one foreach item); retries, timeouts and the
 * global bound stay in the engine. `run` runs the attempt in this process; a remote
 * executor can instead ship `kind` + `params` (already rendered, JSON) to a worker.
 */
export interface Executor {
  execute<T>(task: ExecutorTask<T>): Promise<T>;
}

/** One model call as the run ledger sees it (the body of a `model-call` event). */
export interface ModelCallRecord {
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
  cached: boolean;
  latencyMs: number;
  costUsd?: number;
  /** set on a failed call */
  error?: string;
  code?: string;
  /** the queue worker that made the call (host:pid), when it ran on one */
  worker?: string;
}

export interface ExecutorTask<T> {
  /** the run this attempt belongs to (a remote executor derives stable job ids from it) */
  runId?: string;
  stepId: string;
  item?: number;
  run: () => Promise<T>;
  kind?: string;
  params?: Record<string, unknown>;
  attempt?: number;
  /** aborted on timeout, cancellation or a failure elsewhere in the run */
  signal?: AbortSignal;
  /** the pipeline file, when loaded from one (a worker reloads it to build the step context) */
  file?: string;
  /** a remote executor hands back the worker's model calls and warnings: usage, events and ledger as if run here */
  report?: (remote: { calls: ModelCallRecord[]; warnings: string[] }) => void;
}

export interface RunOptions {
  /** global bound on steps (and foreach items) running at once */
  concurrency?: number;
  signal?: AbortSignal;
  listeners?: RunEventListener[];
  executor?: Executor;
  /** overrides/extends the pipeline's `models:`; e.g. from --model provider:name */
  models?: Record<string, import('../spec/types.js').ModelConfig>;
  /** LangChain chat models passed in through the library API, by models: name */
  chatModels?: Record<string, unknown>;
  /** store directory for retrieve steps when the pipeline names none */
  store?: string;
  /** false disables the model call cache (--no-cache) */
  cache?: boolean;
  /** stream the final model step's tokens here (loom run / ask on a terminal) */
  onToken?: (delta: string) => void;
  /** folders searched for `pipeline: {use: name}` by recipe name */
  recipeDirs?: string[];
  /** validate and plan but call no step (`loom run --dry-run`) */
  dryRun?: boolean;
  /** environment for api_key_env lookups; default process.env */
  env?: Record<string, string | undefined>;
  /** replaces providers/resolve.ts `resolveModel` (tests, custom providers) */
  resolveModel?: (name: string | undefined, pipeline: LoadedPipeline, options: RunOptions) => Promise<ModelHandle | undefined>;
  /** replaces store/index.ts `openStore` (tests, custom stores); stores with a close() are closed at run end */
  openStore?: (dir: string, options: { env: Record<string, string | undefined> }) => Promise<unknown>;
  /** replaces spec `loadPipeline` for `pipeline` steps (receives an absolute path) */
  loadPipeline?: (file: string) => Promise<LoadedPipeline>;
}

export interface RunResult {
  runId: string;
  status: 'ok' | 'failed' | 'cancelled';
  outputs: Record<string, unknown>;
  steps: Record<string, StepRecord>;
  usage: StepRecord['usage'];
  durationMs: number;
  /** the error that failed the run (status 'failed'), with the step id */
  error?: LoomError;
  /** steps that did not run to completion (cancelled or never started) */
  notRun?: string[];
}
