import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dropQueuePrefix, lastUserMessage, redisForTests, startFakeOpenAI, testQueuePrefix, type FakeOpenAI } from '../testing/index.js';
import { loadPipeline } from '../spec/load.js';
import { runPipeline } from '../engine/run.js';
import { parseModelFlag } from '../providers/resolve.js';
import type { RunEvent } from '../engine/types.js';
import { createQueueExecutor, type QueueExecutor } from './executor.js';
import { startQueueWorker, type QueueWorker } from './worker.js';
import { parseRate } from './rate.js';
import { stepJobId } from './job.js';

const redis = await redisForTests();

const PIPELINE = `version: 1
name: items
inputs:
  items: { type: array }
steps:
  - id: each
    foreach: "{{ inputs.items }}"
    prompt: { template: "Item {{ item }}" }
    retry: { attempts: 3, backoff_ms: 1 }
outputs:
  texts: "{{ steps.each | map: 'text' }}"
`;

let fake: FakeOpenAI;
let dir: string;
let file: string;
let prefix: string;
const open: { workers: QueueWorker[]; executors: QueueExecutor[] } = { workers: [], executors: [] };
const env = () => ({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
const models = () => ({ default: parseModelFlag('openai:test-model') });

async function worker(extra: { concurrency?: number } = {}): Promise<QueueWorker> {
  const w = await startQueueWorker({ url: redis.url, prefix, env: env(), concurrency: extra.concurrency ?? 3 });
  open.workers.push(w);
  return w;
}

async function executor(extra: { rate?: string } = {}): Promise<QueueExecutor> {
  const e = await createQueueExecutor({ url: redis.url, prefix, models: models(), rate: extra.rate ? parseRate(extra.rate) : undefined });
  open.executors.push(e);
  return e;
}

const items = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);
const calledItems = () => fake.requestsTo('chat').map((r) => lastUserMessage(r));

describe.skipIf(!redis.ok)('queue executor and workers on Redis', () => {
  beforeAll(async () => {
    fake = await startFakeOpenAI({ latencyMs: 20 });
    dir = mkdtempSync(join(tmpdir(), 'loom-queue-'));
    file = join(dir, 'items.yaml');
    writeFileSync(file, PIPELINE);
  });
  afterEach(async () => {
    for (const w of open.workers.splice(0)) await w.close();
    for (const e of open.executors.splice(0)) await e.close();
    await dropQueuePrefix(redis.url, prefix);
    fake.reset();
    fake.setHandler(undefined);
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs foreach items on two workers: same outputs as in process, each item called once, usage and events relayed', async () => {
    prefix = testQueuePrefix();
    const [w1, w2] = [await worker(), await worker()];
    const pipeline = await loadPipeline(file);
    const local = await runPipeline(pipeline, { items: items(12) }, { models: models(), env: env(), concurrency: 6 });
    fake.reset();
    const events: RunEvent[] = [];
    const exec = await executor();
    const remote = await runPipeline(pipeline, { items: items(12) }, {
      models: models(), env: env(), concurrency: 6, executor: exec, listeners: [(e) => events.push(e)],
    });
    expect(remote.status).toBe('ok');
    expect(remote.outputs).toEqual(local.outputs);
    expect(calledItems().sort()).toEqual(items(12).map((i) => `Item ${i}`).sort());
    expect(remote.usage.calls).toBe(12);
    expect(remote.usage.promptTokens).toBe(local.usage.promptTokens);
    const calls = events.filter((e) => e.type === 'model-call');
    expect(calls).toHaveLength(12);
    // both workers live in this process, so they share one host:pid name
    expect(calls.every((c) => c.type === 'model-call' && c.worker === w1.name && w2.name === w1.name)).toBe(true);
    expect(w1.processed + w2.processed).toBe(12);
    expect(exec.pending).toBe(0);
  });

  it('the same attempt enqueued twice is one job: one model call, one result for both callers', async () => {
    prefix = testQueuePrefix();
    await worker();
    const exec = await executor();
    const pipeline = await loadPipeline(file);
    const task = {
      runId: 'run-1', stepId: 'each', item: 0, attempt: 1, kind: 'prompt', params: { template: 'Item once' }, file: pipeline.file,
      run: () => Promise.reject(new Error('must not run here')),
    };
    const [a, b] = await Promise.all([exec.execute(task), exec.execute(task)]);
    expect(a).toEqual(b);
    expect(calledItems()).toEqual(['Item once']);
  });

  it('a failed attempt comes back with its code and the engine retries it as a new job', async () => {
    prefix = testQueuePrefix();
    await worker();
    fake.enqueue({ status: 503, errorMessage: 'overloaded' });
    const events: RunEvent[] = [];
    const result = await runPipeline(await loadPipeline(file), { items: ['only'] }, {
      models: models(), env: env(), executor: await executor(), listeners: [(e) => events.push(e)],
    });
    expect(result.status).toBe('ok');
    expect(result.steps.each.attempts).toBe(2);
    const failed = events.find((e) => e.type === 'model-call' && e.code);
    expect(failed).toMatchObject({ code: 'PROVIDER_SERVER_ERROR' });
    expect(events.filter((e) => e.type === 'step-retry')).toHaveLength(1);
    expect(stepJobId('r', 'each', 0, 2)).toBe('r.each.0.2');
  });

  it('a 429 with Retry-After on one worker pauses the whole queue for that long', async () => {
    prefix = testQueuePrefix();
    await worker();
    fake.enqueue({ status: 429, retryAfter: 3 });
    const exec = await executor();
    const run = runPipeline(await loadPipeline(file), { items: ['only'] }, { models: models(), env: env(), executor: exec });
    await until(() => fake.requestsTo('chat').length >= 1);
    const { Queue } = await import('bullmq');
    const q = new Queue('steps', { connection: { url: redis.url }, prefix });
    let ttl = 0;
    await until(() => ttl > 0, 10_000, async () => {
      ttl = await q.getRateLimitTtl();
    });
    await q.close();
    expect(ttl).toBeLessThanOrEqual(3000);
    const result = await run;
    expect(result.status).toBe('ok');
    expect(result.steps.each.attempts).toBe(2);
  });

  it('one rate limit for all workers: at 2 per 5 s, two calls go through and the rest wait in Redis while workers sit idle', async () => {
    prefix = testQueuePrefix();
    await worker();
    await worker();
    const exec = await executor({ rate: '2/5s' });
    const run = runPipeline(await loadPipeline(file), { items: items(4) }, { models: models(), env: env(), concurrency: 4, executor: exec });
    await until(() => fake.requestsTo('chat').length >= 2);
    const { Queue } = await import('bullmq');
    const q = new Queue('steps', { connection: { url: redis.url }, prefix });
    await until(() => exec.pending === 2);
    await new Promise((r) => setTimeout(r, 1000)); // 6 free worker slots, yet nothing more is taken
    expect(fake.requestsTo('chat')).toHaveLength(2);
    expect(await q.getRateLimitTtl()).toBeGreaterThan(0);
    expect(await q.getWaitingCount()).toBe(2);
    await q.close();
    const result = await run; // the window passes and the last two run
    expect(result.status).toBe('ok');
    expect(fake.requestsTo('chat')).toHaveLength(4);
  });
});

async function until(check: () => boolean, ms = 20_000, poll?: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    await poll?.();
    if (check()) return;
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
