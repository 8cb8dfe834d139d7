import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lastUserMessage, startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';
import { loom as spawnLoom } from '../../../test/helpers/loom-cli.js';
import { ITEM_PIPELINE, itemLines } from './fixtures/items-pipeline.js';

// `loom batch` without a queue: one run per JSONL line, in process. The queue runs are in queue.test.ts.
let fake: FakeOpenAI;
let work: string;

const loom = (args: string[]) => spawnLoom(args, { cwd: work, env: { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' }, timeoutMs: 120_000 });

const jsonl = (n: number) => itemLines(n);

beforeAll(async () => {
  fake = await startFakeOpenAI();
  work = mkdtempSync(join(tmpdir(), 'loom-cli-batch-'));
  writeFileSync(join(work, 'items.yaml'), ITEM_PIPELINE);
});
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.setHandler(undefined);
});

describe('loom batch (in process)', { timeout: 180_000 }, () => {
  it('runs once per line and writes results in input order, even when later lines finish first', async () => {
    writeFileSync(join(work, 'items.jsonl'), jsonl(8));
    // the first lines answer slowest, so completion order is the reverse of input order
    fake.setHandler((req) => ({ content: `done ${lastUserMessage(req)}`, delayMs: lastUserMessage(req) === 'Item i1' ? 400 : 10 }));
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--out', 'results.jsonl', '--parallel', '4', '--model', 'openai:m']);
    expect(r.stderr).toMatch(/^batch [0-9a-f-]{36}: 8 runs, 8 ok \(results in results.jsonl\)\n$/);
    expect(r.code).toBe(0);
    const rows = readFileSync(join(work, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.map((x) => x.outputs.text)).toEqual(rows.map((x) => `done Item i${x.line}`));
    expect(fake.requestsTo('chat')).toHaveLength(8);
  });

  it('a failing line fails alone: the others complete, the result says why, exit 2', async () => {
    writeFileSync(join(work, 'items.jsonl'), jsonl(3));
    fake.setHandler((req) => (lastUserMessage(req) === 'Item i2' ? { status: 400, errorMessage: 'bad model' } : undefined));
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--model', 'openai:m']);
    expect(r.code).toBe(2);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.status)).toEqual(['ok', 'failed', 'ok']);
    expect(rows[1].error).toMatchObject({ code: 'PROVIDER_BAD_REQUEST', step: 'ask' });
    expect(r.stderr).toContain('1 of 3 runs failed');
  });

  it.each([
    ['{"id": "a"}\n{"id": \n', 'items.jsonl:2:'],
    ['{"id": "a"}\n\n[1, 2]\n', 'items.jsonl:3:1: expected a JSON object'],
    ['{"id": "a"}\n{"idd": "b"}\n', 'items.jsonl:2: input "idd": unknown input'],
  ])('bad input is refused before any run, naming file:line (exit 1): %j', async (text, where) => {
    writeFileSync(join(work, 'items.jsonl'), text);
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--model', 'openai:m']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(where);
    expect(r.stderr).not.toContain('    at ');
    expect(fake.requestsTo('chat')).toHaveLength(0);
  });

  it('records the batch as one run in the ledger: items done per step, every call', async () => {
    mkdirSync(join(work, 'store'), { recursive: true });
    writeFileSync(join(work, 'items.jsonl'), jsonl(5));
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--model', 'openai:m', '--store', 'store']);
    expect(r.code).toBe(0);
    const id = /^batch ([0-9a-f-]+):/.exec(r.stderr)![1];
    const show = await loom(['runs', 'show', id, '--store', 'store', '--json']);
    const run = JSON.parse(show.stdout);
    expect(run).toMatchObject({ id, status: 'ok', pipeline: 'items', usage: { calls: 5 } });
    expect(run.steps).toEqual([expect.objectContaining({ step: 'ask', items: 5, status: 'ok', calls: 5 })]);
  });

  it.each([
    [['--queue', 'redis://127.0.0.1:1'], 2, 'cannot reach Redis at redis://127.0.0.1:1'],
    [['--queue', 'http://127.0.0.1:6379'], 1, 'is not a redis:// URL'],
    [['--queue', 'redis://user:hunter2@127.0.0.1:1'], 2, 'redis://user:***@127.0.0.1:1'],
  ])('--queue %j: a clear error, no stack, no password, nothing run', async (flags, code, message) => {
    writeFileSync(join(work, 'items.jsonl'), jsonl(1));
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--model', 'openai:m', ...flags]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toContain('    at ');
    expect(fake.requestsTo('chat')).toHaveLength(0);
  });

  it('loom worker without --queue says what to pass (exit 1)', async () => {
    const r = await loom(['worker']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('loom worker needs --queue');
  });

  it('--rate without --queue is a usage error', async () => {
    writeFileSync(join(work, 'items.jsonl'), jsonl(1));
    const r = await loom(['batch', 'items.yaml', '--inputs', 'items.jsonl', '--rate', '5/s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--rate needs --queue');
  });
});
