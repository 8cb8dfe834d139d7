import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  dropQueuePrefix, lastUserMessage, queueJobs, queueWorkerCount, redisForTests, startFakeOpenAI, testQueuePrefix, type FakeOpenAI,
} from '@promptloom/core/testing';
import { baseEnv, loom as spawnLoom, requireBuiltCli } from '../../../test/helpers/loom-cli.js';
import { ITEM_PIPELINE, itemLines } from './fixtures/items-pipeline.js';

// Distributed batches on a real Redis with `loom worker` processes: exactly-once results across a
// worker killed with SIGKILL and across a Redis restart (a Redis of our own on a free port).
const redis = await redisForTests();
let fake: FakeOpenAI;
let work: string;
let prefix: string;
const children: ChildProcess[] = [];
const extraRedis: string[] = [];

const modelEnv = () => ({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
const loom = (args: string[]) => spawnLoom(args, { cwd: work, env: modelEnv(), timeoutMs: 240_000 });

function startWorker(url: string, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [requireBuiltCli(), 'worker', '--queue', url, '--prefix', prefix, ...args], {
    cwd: work, env: baseEnv(modelEnv()), stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`worker exited ${code} ${signal ?? ''}: ${stderr}`);
  });
  children.push(child);
  return child;
}

async function workersReady(url: string, n: number): Promise<void> {
  await until(async () => (await queueWorkerCount(url, prefix)) >= n, 60_000);
}

/** How many model calls each item got, from the fake server's request log. */
function callsPerItem(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of fake.requestsTo('chat')) {
    const item = lastUserMessage(r).replace(/^Item /, '');
    counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return counts;
}

function readResults(file: string): { line: number; status: string; outputs: { text: string } }[] {
  return readFileSync(join(work, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function expectEveryItemOnceInOrder(file: string, n: number): void {
  const rows = readResults(file);
  expect(rows.map((r) => r.line)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(rows.every((r) => r.status === 'ok')).toBe(true);
  expect(rows.map((r) => r.outputs.text)).toEqual(rows.map((r) => `Fake answer: Item i${r.line}`));
}

describe.skipIf(!redis.ok)('distributed batches: loom worker processes on Redis', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    fake = await startFakeOpenAI({ latencyMs: 150 });
    work = mkdtempSync(join(tmpdir(), 'loom-cli-queue-'));
    writeFileSync(join(work, 'items.yaml'), ITEM_PIPELINE);
    mkdirSync(join(work, 'store'));
  });
  beforeEach(() => {
    prefix = testQueuePrefix();
    fake.reset();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await dropQueuePrefix(redis.url, prefix);
  });
  afterAll(async () => {
    for (const port of extraRedis) spawnSync('redis-cli', ['-p', port, 'shutdown', 'nosave']);
    await fake?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('two workers share a batch: results in input order, each item called once, the ledger shows the run', async () => {
    startWorker(redis.url);
    startWorker(redis.url);
    await workersReady(redis.url, 2);
    writeFileSync(join(work, 'items.jsonl'), itemLines(20));
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--out', 'results.jsonl', '--model', 'openai:m',
      '--queue', redis.url, '--prefix', prefix, '--store', 'store']);
    expect(r.stderr).toContain('20 runs, 20 ok');
    expect(r.code).toBe(0);
    expectEveryItemOnceInOrder('results.jsonl', 20);
    expect([...callsPerItem().values()]).toEqual(Array(20).fill(1));
    const id = /^batch ([0-9a-f-]+):/m.exec(r.stderr)![1];
    const show = JSON.parse((await loom(['runs', 'show', id, '--store', 'store', '--json'])).stdout);
    expect(show).toMatchObject({ status: 'ok', usage: { calls: 20 } });
    expect(show.steps).toEqual([expect.objectContaining({ step: 'ask', items: 20, calls: 20 })]);
    // which worker made each call: both took part (20 jobs, 8 slots each), and the counts add up
    expect(show.workers.map((w: { calls: number }) => w.calls).reduce((a: number, b: number) => a + b, 0)).toBe(20);
    expect(show.workers.every((w: { worker: string }) => /^.+:\d+$/.test(w.worker))).toBe(true);
    const text = (await loom(['runs', 'show', id, '--store', 'store'])).stdout;
    expect(text).toMatch(/^workers: .+:\d+ \(\d+ calls\)/m);

    // loom run --queue: the same workers, usage counted as in process
    fake.reset();
    const one = await loom(['run', 'items.yaml', '--input', 'id=solo', '--json', '--model', 'openai:m', '--queue', redis.url, '--prefix', prefix]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ status: 'ok', outputs: { text: 'Fake answer: Item solo' }, usage: { calls: 1 } });
    expect(fake.requestsTo('chat')).toHaveLength(1);
  });

  it('kill -9 of a worker mid-batch: its jobs go to the others once their locks expire; every item once in the results', async () => {
    const workers = [0, 1, 2].map(() => startWorker(redis.url, ['--concurrency', '4', '--lock-timeout', '2000']));
    await workersReady(redis.url, 3);
    writeFileSync(join(work, 'items.jsonl'), itemLines(60));
    const batch = loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--out', 'killed.jsonl', '--model', 'openai:m',
      '--queue', redis.url, '--prefix', prefix]);
    await until(() => fake.requestsTo('chat').length >= 15);
    workers[0].kill('SIGKILL');
    const r = await batch;
    expect(r.stderr).toContain('60 runs, 60 ok');
    expect(r.code).toBe(0);
    expectEveryItemOnceInOrder('killed.jsonl', 60);
    const calls = callsPerItem();
    expect(calls.size).toBe(60);
    // The killed worker's jobs were taken over (BullMQ's stalled counter). A model call is repeated only
    // by a job run again after a crash, or by the engine's own retry (a new job, attempt 2): per item,
    // calls ≤ Σ over its jobs of (1 + times stalled). (On a loaded machine a live worker's late lock
    // renewal can count as a stall too: still one result.)
    const jobs = await queueJobs(redis.url, prefix);
    expect(jobs.some((j) => j.stalled > 0)).toBe(true);
    const allowed = new Map<string, number>();
    for (const j of jobs) {
      const item = String(j.params.template).replace(/^Item /, '');
      allowed.set(item, (allowed.get(item) ?? 0) + 1 + j.stalled);
    }
    const beyond = [...calls].filter(([item, n]) => n > (allowed.get(item) ?? 0));
    expect(beyond).toEqual([]);
  });

  it.each([
    ['with its data kept (appendonly)', 'yes'],
    ['losing its data (no persistence: the client enqueues its jobs again)', 'no'],
  ])('Redis restarting mid-batch %s: workers and the client reconnect, and the batch completes with every item once', async (_label, appendonly) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'loom-redis-'));
    const startRedis = () => {
      const r = spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port, '--dir', dir,
        '--appendonly', appendonly, '--save', '', '--logfile', join(dir, 'redis.log')]);
      expect(r.status).toBe(0);
    };
    startRedis();
    extraRedis.push(port);
    const url = `redis://127.0.0.1:${port}`;
    await until(async () => (await redisAnswers(port)));
    startWorker(url, ['--lock-timeout', '2000']);
    startWorker(url, ['--lock-timeout', '2000']);
    await workersReady(url, 2);
    writeFileSync(join(work, 'items.jsonl'), itemLines(40));
    const batch = loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--out', 'restart.jsonl', '--model', 'openai:m', '--queue', url, '--prefix', prefix]);
    await until(() => fake.requestsTo('chat').length >= 10);
    expect(spawnSync('redis-cli', ['-p', port, 'shutdown']).status).toBe(0);
    await until(async () => !(await redisAnswers(port)));
    const callsWhileDown = fake.requestsTo('chat').length;
    startRedis();
    const r = await batch;
    expect(r.stderr).toContain('40 runs, 40 ok');
    expect(r.code).toBe(0);
    expectEveryItemOnceInOrder('restart.jsonl', 40);
    expect(callsPerItem().size).toBe(40);
    expect(callsWhileDown).toBeLessThan(40);
    rmSync(dir, { recursive: true, force: true });
  });
});

async function redisAnswers(port: string): Promise<boolean> {
  const r = spawnSync('redis-cli', ['-p', port, 'ping'], { encoding: 'utf8' });
  return r.stdout.trim() === 'PONG';
}

function freePort(): Promise<string> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(String(port)));
    });
    server.on('error', fail);
  });
}

async function until(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
