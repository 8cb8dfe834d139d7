import { InvalidArgumentError, type Command } from 'commander';
import type { Executor, ModelConfig, QueueExecutor } from '@promptloom/core';

/** `--queue`, `--rate`, `--prefix`: the same for `loom worker`, `loom run` and `loom batch`. */
export interface QueueFlags {
  queue?: string;
  rate?: string;
  prefix?: string;
}

function checkPrefix(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) throw new InvalidArgumentError('letters, digits, _ . - only (at most 64)');
  return value;
}

export function addQueueOptions(command: Command, what: string): Command {
  return command
    .option('--queue <redis-url>', `${what} through a BullMQ queue on Redis, e.g. redis://127.0.0.1:6379 (see docs/scale.md)`)
    .option('--rate <count/unit>', 'with --queue: one model rate limit for every worker of the queue, e.g. 60/min, 5/s')
    .option('--prefix <name>', 'with --queue: Redis key prefix, to keep separate queues on one Redis (default loom)', checkPrefix);
}

type Core = typeof import('@promptloom/core');

/** The queue executor for --queue, or undefined to run in process; --rate without --queue is refused. */
export async function queueExecutor(
  core: Core, flags: QueueFlags, forward: { models?: Record<string, ModelConfig>; store?: string; cache?: boolean },
): Promise<QueueExecutor | undefined> {
  if (!flags.queue) {
    if (flags.rate || flags.prefix) throw new core.LoomError('USAGE', `--${flags.rate ? 'rate' : 'prefix'} needs --queue`, { hint: 'the rate limit is kept in Redis for all workers: add --queue redis://HOST:6379' });
    return undefined;
  }
  const rate = flags.rate ? core.parseRate(flags.rate) : undefined;
  return core.createQueueExecutor({ url: core.parseQueueUrl(flags.queue), prefix: flags.prefix, rate, ...forward });
}

export type { Executor };
