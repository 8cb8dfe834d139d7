import type { Queue } from 'bullmq';
import { LoomError } from '../errors.js';

/** A model rate: `max` jobs per `durationMs`, for the whole queue. */
export interface Rate {
  max: number;
  durationMs: number;
}

const UNITS: Record<string, number> = { s: 1000, sec: 1000, second: 1000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000 };

/** Parses `60/min`, `5/s`, `1000/hour`, `2/5s`. */
export function parseRate(value: string): Rate {
  const m = /^\s*(\d+)\s*\/\s*(\d*)\s*([a-z]+)\s*$/i.exec(value);
  const unit = m && UNITS[m[3].toLowerCase()] ? UNITS[m[3].toLowerCase()] * Number(m[2] || 1) : undefined;
  const max = m ? Number(m[1]) : NaN;
  if (!m || !unit || !Number.isInteger(max) || max < 1) {
    throw new LoomError('USAGE', `--rate: "${value}" is not a rate`, { hint: 'write it as COUNT/UNIT, e.g. --rate 60/min, 5/s, 1000/hour or 10/30s' });
  }
  return { max, durationMs: unit };
}

/**
 * Sets the queue-wide limit kept in Redis: every worker of the queue draws from it, whichever
 * process set it last. Each job is one step attempt, usually one model call.
 */
export async function applyRate(queue: Queue, rate: Rate): Promise<void> {
  await queue.setGlobalRateLimit(rate.max, rate.durationMs);
}
