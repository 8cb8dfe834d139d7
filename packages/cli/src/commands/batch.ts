import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BatchLineResult, LoadedPipeline, RunEventListener } from '@promptloom/core';
import { LoomError } from '@promptloom/core/spec';
import { isInteractive, type Io } from '../io.js';
import { readStdin } from '../inputs.js';
import { createProgress } from '../progress.js';
import { addQueueOptions, queueExecutor, type QueueFlags } from '../queue-flags.js';
import { loadForCli } from './plan.js';
import { ledgerListener, parseConcurrency } from './run.js';
import { interruptSignal, type RegisterCommand } from './types.js';
import { RUN_STORE_HELP, storeOption } from '../store-flag.js';

interface BatchFlags extends QueueFlags {
  inputs: string;
  out?: string;
  parallel?: number;
  concurrency?: number;
  model?: string;
  store?: string;
  cache: boolean;
}

/** One input line: its 1-based line number in the file and the inputs it holds. */
interface InputLine {
  line: number;
  inputs: Record<string, unknown>;
}

/** Runs in flight at once: a few in process; with a queue, enough to keep every worker busy. */
const DEFAULT_PARALLEL = { local: 4, queue: 256 };

/** Parses JSONL: one JSON object per non-empty line; the first bad line is named with line:col. */
export function parseInputLines(text: string, label: string): InputLine[] {
  const lines: InputLine[] = [];
  const rows = text.split('\n');
  for (const [i, raw] of rows.entries()) {
    const row = raw.replace(/\r$/, '');
    if (!row.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (error) {
      const at = /position (\d+)/.exec((error as Error).message);
      const col = at ? Number(at[1]) + 1 : 1;
      throw new LoomError('INPUT_INVALID', `${label}:${i + 1}:${col}: not valid JSON: ${(error as Error).message}`, { hint: 'each line holds one JSON object of inputs, e.g. {"text": "..."}' });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new LoomError('INPUT_INVALID', `${label}:${i + 1}:1: expected a JSON object of inputs, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    lines.push({ line: i + 1, inputs: value as Record<string, unknown> });
  }
  return lines;
}

async function readLines(flags: BatchFlags, io: Io): Promise<{ label: string; lines: InputLine[] }> {
  if (flags.inputs === '-') return { label: '<stdin>', lines: parseInputLines(await readStdin(io), '<stdin>') };
  const path = resolve(io.cwd, flags.inputs);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LoomError('INPUT_INVALID', `--inputs: cannot read ${path}: ${(error as Error).message}`, { hint: 'give a JSONL file (one JSON object of inputs per line) or - for standard input' });
  }
  return { label: flags.inputs, lines: parseInputLines(text, flags.inputs) };
}

/** Every line's inputs checked before anything runs: a typo on line 900 should not cost 899 model calls. */
function checkLines(core: typeof import('@promptloom/core'), pipeline: LoadedPipeline, label: string, lines: InputLine[]): void {
  const problems: string[] = [];
  for (const { line, inputs } of lines) {
    const found = core.checkInputs(pipeline.spec.inputs, inputs).problems;
    for (const p of found) problems.push(`${label}:${line}: input "${p.name}": ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
    if (problems.length >= 20) break;
  }
  if (problems.length) throw new LoomError('INPUT_INVALID', problems.join('\n'), { hint: `inputs of ${pipeline.spec.name}: ${Object.keys(pipeline.spec.inputs ?? {}).join(', ') || '(none)'}` });
}

/** Results as JSON lines, in input order, each written as soon as it is its turn (Ctrl-C loses none written). */
function resultWriter(flags: BatchFlags, io: Io, lines: InputLine[]): { write(r: BatchLineResult): void; close(): void } {
  const line = (r: BatchLineResult) => JSON.stringify({
    line: lines[r.index].line, status: r.status, runId: r.runId,
    ...(r.outputs ? { outputs: r.outputs } : {}), ...(r.error ? { error: r.error } : {}),
  }) + '\n';
  if (!flags.out) return { write: (r) => io.stdout.write(line(r)), close() {} };
  const path = resolve(io.cwd, flags.out);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    throw new LoomError('USAGE', `--out: cannot write ${path}: ${(error as Error).message}`);
  }
  return { write: (r) => writeSync(fd, line(r)), close: () => closeSync(fd) };
}

/** `loom batch FILE --inputs items.jsonl`: one run per input line, results in input order. */
export async function batch(file: string, flags: BatchFlags, io: Io): Promise<void> {
  const core = await import('@promptloom/core');
  const { recipeDirs } = await import('@promptloom/recipes');
  const pipeline = await loadForCli(file, io);
  const { label, lines } = await readLines(flags, io);
  checkLines(core, pipeline, label, lines);
  const models = flags.model ? { default: core.parseModelFlag(flags.model) } : undefined;
  const store = storeOption(flags.store, io);
  const executor = await queueExecutor(core, flags, { models, store, cache: flags.cache });
  const listeners: RunEventListener[] = [];
  const ledger = await ledgerListener(flags, pipeline, io);
  if (ledger) listeners.push(ledger);
  const progress = isInteractive(io) ? await createProgress(io, 'batch') : undefined;
  const out = resultWriter(flags, io, lines);
  let summary;
  progress?.start(lines.length);
  try {
    summary = await core.runBatch(pipeline, lines.map((l) => l.inputs), {
      parallel: flags.parallel ?? (executor ? DEFAULT_PARALLEL.queue : DEFAULT_PARALLEL.local),
      listeners,
      run: {
        concurrency: flags.concurrency, signal: interruptSignal(), models, cache: flags.cache, env: io.env, store,
        executor, recipeDirs: recipeDirs({ cwd: io.cwd, env: io.env }),
      },
      onResult: (r) => {
        out.write(r);
        progress?.increment();
      },
    });
  } finally {
    progress?.stop();
    out.close();
    await executor?.close();
  }
  const where = flags.out ? ` (results in ${flags.out})` : '';
  io.stderr.write(`batch ${summary.batchId}: ${summary.total} runs, ${summary.ok} ok${summary.failed ? `, ${summary.failed} failed` : ''}${summary.cancelled ? `, ${summary.cancelled} cancelled` : ''}${where}\n`);
  if (summary.cancelled) throw new LoomError('RUN_ABORTED', `interrupted; ${summary.total - summary.ok - summary.failed} runs did not finish`);
  if (summary.failed) throw new LoomError('RUN_STEP_FAILED', `${summary.failed} of ${summary.total} runs failed`, { hint: 'each failed line has its error in the results ("status": "failed")' });
}

function parseParallel(value: string): number {
  return parseConcurrency(value);
}

export const register: RegisterCommand = (program, io) => {
  const command = program
    .command('batch')
    .description('run a pipeline once per line of a JSONL file; results in input order')
    .argument('<file>', 'pipeline YAML file')
    .requiredOption('--inputs <file.jsonl|->', 'one JSON object of inputs per line, from a file or - for standard input')
    .option('--out <file.jsonl>', 'write the results here (one JSON line per input line) instead of standard output')
    .option('--parallel <n>', `runs in flight at once (default ${DEFAULT_PARALLEL.local}; ${DEFAULT_PARALLEL.queue} with --queue)`, parseParallel)
    .option('--concurrency <n>', 'most steps (and foreach items) of one run at once (default 4)', parseConcurrency)
    .option('--model <provider:name>', 'model for `default`, e.g. openai:gpt-4o-mini (default: $LOOM_MODEL)')
    .option('--store <dir>', RUN_STORE_HELP)
    .option('--no-cache', 'bypass the model call cache');
  addQueueOptions(command, 'send the work to `loom worker`s')
    .addHelpText('after', `
Each result line is {"line": N, "status": "ok", "outputs": {...}} or {"line": N, "status": "failed",
"error": {...}}, in the order of the input lines. The batch is one run in \`loom runs\`.
Exit codes: 0 all ok, 1 bad input (checked for every line before anything runs), 2 some runs failed.

Examples:
  loom batch translate.yaml --inputs pages.jsonl --out results.jsonl
  loom batch translate.yaml --inputs pages.jsonl --queue redis://127.0.0.1:6379 --rate 60/min --out results.jsonl`)
    .action((file: string, flags: BatchFlags) => batch(file, flags, io));
};
