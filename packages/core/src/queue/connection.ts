import { LoomError, toLoomError } from '../errors.js';

/** Where the queue lives: a Redis URL plus the key prefix that keeps several queues apart. */
export interface QueueTarget {
  /** redis://[user:password@]host:port[/db] or rediss:// */
  url: string;
  /** Redis key prefix (default `loom`); tests and separate teams use their own */
  prefix?: string;
}

/** The BullMQ queue that carries step attempts. */
export const STEP_QUEUE = 'steps';
export const DEFAULT_PREFIX = 'loom';

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Checks a --queue value; only redis:// and rediss:// URLs name a BullMQ queue. */
export function parseQueueUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new LoomError('USAGE', `--queue: "${safeUrl(value)}" is not a URL`, { hint: 'give a Redis URL, e.g. --queue redis://127.0.0.1:6379' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new LoomError('USAGE', `--queue: ${safeUrl(value)} is not a redis:// URL`, { hint: 'give a Redis URL, e.g. --queue redis://127.0.0.1:6379' });
  }
  return value;
}

/**
 * ioredis options for BullMQ. `maxRetriesPerRequest: null` makes commands wait across a Redis
 * restart instead of failing (BullMQ requires it for workers); the retry strategy keeps
 * reconnecting every ≤ 1 s for as long as the process lives.
 */
export function connectionOptions(url: string): Record<string, unknown> {
  return {
    url,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
}

/**
 * Fails fast with QUEUE_UNAVAILABLE when Redis does not answer at start, rather than having
 * BullMQ wait forever on a typo; after that, reconnection is automatic.
 */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  client.on('error', () => {}); // reported through connect() below
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = toLoomError(error).message;
    throw new LoomError('QUEUE_UNAVAILABLE', `cannot reach Redis at ${safeUrl(url)}: ${reason}`, {
      cause: error,
      hint: 'start Redis (redis-server --port 6379) or fix the --queue URL; docs/scale.md has the setup',
    });
  } finally {
    client.disconnect();
  }
}
