import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LoadedPipeline, RunEvent, RunEventListener, RunOptions, RunResult } from '@promptloom/core';
import { type Io, isInteractive, writeJson } from '../io.js';
import { collectPairs, readInputs, type InputFlags } from '../inputs.js';
import { writeOutFile } from '../out-file.js';
import { createProgress, type Progress } from '../progress.js';
import { addQueueOptions, queueExecutor, type QueueFlags } from '../queue-flags.js';
import { RUN_STORE_HELP, storeAt, storeOption } from '../store-flag.js';
import { formatPlan, loadForCli, parseConcurrency, planJson } from './plan.js';
import { interruptSignal, type RegisterCommand } from './types.js';

// core is imported inside the action only, so registering this command costs nothing at startup
type Core = typeof import('@promptloom/core');

export interface RunFlags extends InputFlags, QueueFlags {
  json?: boolean;
  events?: string;
  dryRun?: boolean;
  concurrency?: number;
  model?: string;
  store?: string;
  cache: boolean;
  stream: boolean;
  out?: string;
}

// one parser for every command's --concurrency (plan.ts, beside the budget's description)
export { parseConcurrency };

/** --events: one JSON line per event, to stdout or a file (written synchronously, so Ctrl-C loses nothing). */
function eventWriter(core: Core, target: string, io: Io): { listener: RunEventListener; close(): void } {
  // events carry server messages and step outputs: keys out, as in the ledger and on stderr
  const line = (e: RunEvent) => core.redact(JSON.stringify(e), io.env) + '\n';
  if (target === '-') return { listener: (e) => io.stdout.write(line(e)), close() {} };
  const path = resolve(io.cwd, target);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    throw new core.LoomError('USAGE', `--events: cannot write ${path}: ${(error as Error).message}`);
  }
  return { listener: (e) => writeSync(fd, line(e)), close: () => closeSync(fd) };
}

/** Runs go into the store's run ledger (`loom runs`) when that store exists; a run never creates one. */
export async function ledgerListener(flags: { store?: string }, pipeline: LoadedPipeline, io: Io): Promise<RunEventListener | undefined> {
  // the same rule the engine uses for the store its steps read (locate/store.ts)
  const store = storeAt(flags.store, io, pipeline);
  if (store.kind !== 'dir' || !existsSync(store.location)) return undefined;
  const { createLedger } = await import('@promptloom/core');
  return createLedger(store.location, { env: io.env }).listener;
}

function progressListener(progress: Progress): RunEventListener {
  return (e: RunEvent) => {
    const whole = (e.type === 'step-end' && e.item === undefined) || e.type === 'step-skip' || e.type === 'step-error';
    if (whole && !e.step.includes('/')) progress.increment();
  };
}

/** Strings as they are, anything else as JSON; one output alone, several under their names. */
export function formatOutputs(outputs: Record<string, unknown>, streamed = ''): string {
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  const entries = Object.entries(outputs).filter(([, v]) => !(streamed && typeof v === 'string' && v.trim() === streamed.trim()));
  if (entries.length === 1 && Object.keys(outputs).length === 1) return show(entries[0][1]) + '\n';
  return entries.map(([k, v]) => {
    const text = show(v);
    return text.includes('\n') ? `${k}:\n${text}\n` : `${k}: ${text}\n`;
  }).join('');
}

/** `loom run FILE`, also behind `loom recipes run NAME`. */
export async function run(file: string, flags: RunFlags, io: Io): Promise<void> {
  const core = await import('@promptloom/core');
  const { recipeDirs } = await import('@promptloom/recipes');
  const raw = await readInputs(flags, io);
  const pipeline = await loadForCli(file, io);
  const models = flags.model ? { default: core.parseModelFlag(flags.model) } : undefined;
  const toStdout = flags.events === '-';
  const events = flags.events ? eventWriter(core, flags.events, io) : undefined;
  const listeners: RunEventListener[] = events ? [events.listener] : [];
  const interactive = isInteractive(io) && !flags.json && !toStdout;
  const progress = interactive && !flags.dryRun ? await createProgress(io, 'run') : undefined;
  if (progress) listeners.push(progressListener(progress));
  const ledger = flags.dryRun ? undefined : await ledgerListener(flags, pipeline, io);
  if (ledger) listeners.push(ledger);
  let streamed = '';
  const store = storeOption(flags.store, io);
  const executor = flags.dryRun ? undefined : await queueExecutor(core, flags, { models, store, cache: flags.cache });
  const stream = flags.stream && interactive && Boolean(io.stdout.isTTY) && !executor;
  if (stream) {
    // a retried attempt streams again from the start: say so rather than run two answers together
    const streamStep = core.planPipeline(pipeline).streamStep;
    listeners.push((e) => {
      if (e.type === 'step-retry' && e.step === streamStep && streamed) {
        io.stdout.write(`\n[retrying: ${e.error}]\n`);
        streamed = '';
      }
    });
  }
  const options: RunOptions = {
    concurrency: flags.concurrency, signal: interruptSignal(), listeners, models, cache: flags.cache, env: io.env, executor,
    store, recipeDirs: recipeDirs({ cwd: io.cwd, env: io.env }), dryRun: flags.dryRun,
    onToken: stream ? (delta) => {
      if (!streamed) progress?.stop();
      streamed += delta;
      io.stdout.write(delta);
    } : undefined,
  };
  let result: RunResult;
  progress?.start(pipeline.spec.steps.length);
  try {
    result = await core.runPipeline(pipeline, raw, options);
  } finally {
    progress?.stop();
    events?.close();
    await executor?.close();
  }
  if (streamed) io.stdout.write('\n');
  if (flags.dryRun) return printDryRun(core, pipeline, raw, options, flags, io);
  for (const r of Object.values(result.steps)) for (const w of r.warnings) io.stderr.write(`warning: step "${r.id}": ${w}\n`);
  const rest = flags.out && result.status === 'ok' ? writeOutFile(result.outputs, flags.out, io) : result.outputs;
  if (flags.json) {
    const text = JSON.stringify(core.summarizeRun(result), null, toStdout ? 0 : 2);
    io.stdout.write(text + '\n');
  } else if (result.status === 'ok') {
    io.stdout.write(formatOutputs(rest, flags.out ? '' : streamed));
  }
  reportStatus(core, result);
}

function reportStatus(core: Core, result: RunResult): void {
  const notRun = result.notRun ?? [];
  if (result.status === 'cancelled') {
    throw new core.LoomError('RUN_ABORTED', `interrupted; ${notRun.length ? `these steps did not run: ${notRun.join(', ')}` : 'every step had finished'}`);
  }
  if (result.status === 'failed') {
    const error = result.error ?? new core.LoomError('RUN_STEP_FAILED', 'the run failed');
    if (notRun.length === 0) throw error;
    throw new core.LoomError(error.code, error.message, {
      cause: error.cause ?? error, file: error.file, stepId: error.stepId, model: error.model,
      hint: [error.hint, `not run: ${notRun.join(', ')}`].filter(Boolean).join('\n      '),
    });
  }
}

function printDryRun(core: typeof import('@promptloom/core'), pipeline: LoadedPipeline, raw: Record<string, unknown>, options: RunOptions, flags: RunFlags, io: Io): void {
  const plan = core.planPipeline(pipeline, { concurrency: flags.concurrency });
  const inputs = core.parseInputs(pipeline, raw);
  const models = core.effectiveModels(pipeline, options);
  if (flags.json) {
    writeJson(io, { dryRun: true, inputs, plan: planJson(plan, pipeline, models) });
    return;
  }
  io.stdout.write(formatPlan(plan, pipeline, models));
  io.stdout.write(`inputs: ${JSON.stringify(inputs)}\ndry run: the pipeline and its inputs are valid; no step was run\n`);
}

export const register: RegisterCommand = (program, io) => {
  const command = program
    .command('run')
    .description('run a pipeline and print its outputs')
    .argument('<file>', 'pipeline YAML file');
  addRunOptions(command)
    .addHelpText('after', `
Exit codes: 0 ok, 1 bad input (file, YAML, inputs, configuration), 2 the run failed or was interrupted.

Examples:
  loom run pipeline.yaml --input question="How do I retry a failed step?"
  loom run pipeline.yaml --input text=@article.md --out summary.md
  loom run pipeline.yaml --inputs inputs.json --json
  echo '{"question": "向量索引是什么？"}' | loom run pipeline.yaml --inputs -
  OPENAI_BASE_URL=http://127.0.0.1:11434/v1 loom run pipeline.yaml --model openai:qwen2.5 --input question=...
  loom run pipeline.yaml --events run.ndjson --concurrency 8`)
    .action((file: string, flags: RunFlags) => run(file, flags, io));
};

/** The options of `loom run`, shared with `loom recipes run`. */
export function addRunOptions(command: Command): Command {
  return addQueueOptions(command, 'run the steps on `loom worker`s')
    .option('-i, --input <name=value>', 'an input (repeatable); numbers, booleans and JSON lists/objects are converted to the declared type; name=@file reads a file (.html as text), name=@- standard input, @@ a literal @', collectPairs, [])
    .option('--inputs <file.json|->', 'inputs as a JSON object, from a file or - for standard input (--input wins)')
    .option('--json', 'print {status, outputs, steps, usage} as JSON')
    .option('--events <file|->', 'write run events as JSON lines to a file, or - for standard output')
    .option('--dry-run', 'check the pipeline and inputs and show the plan; run nothing')
    .option('--concurrency <n>', 'most steps, foreach items and model calls running at once (default 4, or the widest concurrency: a step declares)', parseConcurrency)
    .option('--model <provider:name>', 'model for `default`, e.g. openai:gpt-4o-mini or ollama:qwen2.5 (default: $LOOM_MODEL)')
    .option('--store <dir>', RUN_STORE_HELP)
    .option('--no-cache', 'bypass the model call cache')
    .option('--no-stream', 'print model output when complete instead of token by token')
    .option('--out <file>', 'write the output named "text" (or the only text output) to FILE instead of printing it');
}
