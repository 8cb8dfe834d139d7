import { InvalidArgumentError } from 'commander';
import { LoomError } from '@promptloom/core/spec';
import { isInteractive, type Io } from '../io.js';
import { addQueueOptions, type QueueFlags } from '../queue-flags.js';
import { parseConcurrency } from './run.js';
import { interruptSignal, type RegisterCommand } from './types.js';
import { storeOption } from '../store-flag.js';

interface WorkerFlags extends QueueFlags {
  concurrency: number;
  store?: string;
  lockTimeout: number;
}

function parseLockTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 500 || n > 3_600_000) throw new InvalidArgumentError('expected milliseconds from 500 to 3600000');
  return n;
}

/** `loom worker`: runs step attempts from the queue until Ctrl-C / SIGTERM, then finishes the running ones. */
export async function worker(flags: WorkerFlags, io: Io): Promise<void> {
  if (!flags.queue) throw new LoomError('USAGE', 'loom worker needs --queue redis://HOST:PORT', { hint: 'e.g. loom worker --queue redis://127.0.0.1:6379' });
  const core = await import('@promptloom/core');
  const rate = flags.rate ? core.parseRate(flags.rate) : undefined;
  const live = isInteractive(io);
  let running = 0;
  let done = 0;
  let failed = 0;
  const status = () => {
    if (live) io.stderr.write(`\r\x1b[2Kworker: ${running} running, ${done} done${failed ? `, ${failed} failed` : ''}`);
  };
  const w = await core.startQueueWorker({
    url: core.parseQueueUrl(flags.queue), prefix: flags.prefix, concurrency: flags.concurrency, rate, env: io.env,
    store: storeOption(flags.store, io), lockDurationMs: flags.lockTimeout, stalledIntervalMs: flags.lockTimeout,
    onJob: (e) => {
      if (e.phase === 'start') running++;
      else {
        running--;
        done++;
        if (!e.ok) failed++;
      }
      status();
    },
  });
  if (live) io.stderr.write(`worker ${w.name} on ${flags.queue} (concurrency ${flags.concurrency}); Ctrl-C to stop\n`);
  await new Promise<void>((done) => {
    const signal = interruptSignal();
    if (!signal) return; // called without bin.ts: runs until the process ends
    if (signal.aborted) done();
    signal.addEventListener('abort', () => done(), { once: true });
  });
  if (live) io.stderr.write('\nfinishing running jobs…\n');
  await w.close();
}

export const register: RegisterCommand = (program, io) => {
  const command = program
    .command('worker')
    .description('run pipeline steps from a Redis queue (start several, on one or many machines)')
    .option('--concurrency <n>', 'jobs this worker runs at once (default 8)', parseConcurrency, 8)
    .option('--store <dir>', 'store for retrieve steps when neither the pipeline nor the client names one')
    .option('--lock-timeout <ms>', 'a job whose worker stops renewing its lock (crashed, killed) goes to another worker within about twice this (default 30000)', parseLockTimeout, 30_000);
  addQueueOptions(command, 'take work')
    .addHelpText('after', `
Every worker must see the pipeline files at the same paths as the client, and its own model
keys (OPENAI_API_KEY ...) in its environment: keys never travel through Redis.

Examples:
  loom worker --queue redis://127.0.0.1:6379 --concurrency 8
  loom worker --queue redis://queue.internal:6379 --rate 60/min   one limit for all workers
  loom batch translate.yaml --inputs pages.jsonl --queue redis://127.0.0.1:6379 --out results.jsonl`)
    .action((flags: WorkerFlags) => worker(flags, io));
};
