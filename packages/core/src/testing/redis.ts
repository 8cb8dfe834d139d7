// Tests against a real Redis: 127.0.0.1:6379 unless LOOM_TEST_REDIS_URL names another.
import { randomUUID } from 'node:crypto';
import { STEP_QUEUE } from '../queue/connection.js';

export interface TestRedis {
  url: string;
  ok: boolean;
}

const START = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

/**
 * Whether the test Redis answers. Under CI a missing Redis throws (the test file fails);
 * elsewhere the caller skips its Redis tests and this says loudly how to start one.
 */
export async function redisForTests(): Promise<TestRedis> {
  const url = process.env.LOOM_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => {});
  let ok = false;
  try {
    await client.connect();
    ok = (await client.ping()) === 'PONG';
  } catch {
    ok = false;
  } finally {
    client.disconnect();
  }
  if (!ok) {
    const message = `Redis does not answer at ${url}: the queue tests need it. Start one with: ${START}`;
    if (process.env.CI) throw new Error(message);
    console.warn(`\n*** SKIPPING queue tests: ${message} ***\n`);
  }
  return { url, ok };
}

/** A key prefix of its own for one test, so parallel tests and old runs never meet. */
export function testQueuePrefix(): string {
  return `loomtest-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under the prefix. */
export async function dropQueuePrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Workers connected to the step queue under the prefix (BullMQ names their connections). */
export async function queueWorkerCount(url: string, prefix: string): Promise<number> {
  const { Queue } = await import('bullmq');
  const queue = new Queue(STEP_QUEUE, { connection: { url }, prefix });
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
  }
}

/** The step queue's jobs with their parameters and how often a worker's crash sent each back (BullMQ's stalled counter). */
export async function queueJobs(url: string, prefix: string): Promise<{ id: string; params: Record<string, unknown>; stalled: number }[]> {
  const { Queue } = await import('bullmq');
  const queue = new Queue(STEP_QUEUE, { connection: { url }, prefix });
  try {
    const jobs = await queue.getJobs(['completed', 'failed', 'waiting', 'active'], 0, -1);
    return jobs.map((j) => ({ id: j.id!, params: (j.data as { params: Record<string, unknown> }).params, stalled: j.stalledCounter }));
  } finally {
    await queue.close();
  }
}
