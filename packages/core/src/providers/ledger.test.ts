import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/index.js';
import { pipelineWithModels } from '../testing/pipelines.js';
import type { RunEvent } from '../engine/types.js';
import type { ModelCallResult } from './types.js';
import { createLedger, getRun, listRuns, redact } from './ledger.js';
import { resolveModel } from './resolve.js';
import { closeRunsDb } from './runs-db.js';

const KEY = 'sk-live-abcdefghijklmnop1234';
let fake: FakeOpenAI;
let store: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  store = mkdtempSync(join(tmpdir(), 'loom-ledger-'));
});
afterAll(async () => {
  await fake.close();
  closeRunsDb(store);
  rmSync(store, { recursive: true, force: true });
});

const env = () => ({ TEAM_KEY: KEY, OPENAI_BASE_URL: fake.url });
const at = () => new Date().toISOString();
const ask = (q: string) => ({ messages: [{ role: 'user' as const, content: q }] });

function callEvent(runId: string, step: string, r: ModelCallResult): RunEvent {
  return {
    type: 'model-call', runId, step, model: r.model, promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens,
    estimated: r.usage.estimated, cached: r.cached, latencyMs: r.latencyMs, costUsd: r.costUsd, at: at(),
  };
}

describe('call cache', () => {
  const pipeline = (temperature?: number) =>
    pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', api_key_env: 'TEAM_KEY', temperature } }, { store });

  it('hits on the same call at temperature 0, misses on a change, and is bypassed when switched off', async () => {
    fake.reset();
    const h = (await resolveModel(undefined, pipeline(0), { env: env() }))!;
    const first = await h.call(ask('cache me'));
    const second = await h.call(ask('cache me'));
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ cached: true, text: first.text, costUsd: 0, usage: { promptTokens: 0, completionTokens: 0, estimated: false } });
    expect(fake.requestsTo('chat')).toHaveLength(1);

    const deltas: string[] = [];
    expect((await h.call({ ...ask('cache me'), onToken: (d) => deltas.push(d) })).cached).toBe(true);
    expect(deltas.join('')).toBe(first.text); // a cached answer still reaches the terminal

    expect((await h.call(ask('cache me, differently'))).cached).toBe(false);
    expect((await h.call({ ...ask('cache me'), maxTokens: 20 })).cached).toBe(false);
    expect((await h.call({ ...ask('cache me'), cache: false })).cached).toBe(false);
    const off = (await resolveModel(undefined, pipeline(0), { env: env(), cache: false }))!;
    expect((await off.call(ask('cache me'))).cached).toBe(false);
    expect(fake.requestsTo('chat')).toHaveLength(5);
  });

  it('is off by default above temperature 0 and when temperature is unset', async () => {
    fake.reset();
    for (const t of [0.7, undefined]) {
      const h = (await resolveModel(undefined, pipeline(t), { env: env() }))!;
      await h.call(ask('warm'));
      expect((await h.call(ask('warm'))).cached).toBe(false);
    }
    expect(fake.requestsTo('chat')).toHaveLength(4);
  });

  it('never caches a failed call', async () => {
    fake.reset();
    const h = (await resolveModel(undefined, pipeline(0), { env: env() }))!;
    fake.enqueue({ status: 503 });
    await expect(h.call(ask('flaky'))).rejects.toMatchObject({ code: 'PROVIDER_SERVER_ERROR' });
    expect((await h.call(ask('flaky'))).cached).toBe(false);
    expect((await h.call(ask('flaky'))).cached).toBe(true);
  });
});

describe('run ledger', () => {
  it('records runs, steps and calls with totals, and shows which calls came from the cache', async () => {
    fake.reset();
    const ledger = createLedger(store, { env: env() });
    const p = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', api_key_env: 'TEAM_KEY', temperature: 0, price: { input: 1, output: 2 } } }, { store });
    const h = (await resolveModel(undefined, p, { env: env() }))!;
    const runId = 'run-0001-ledger';
    ledger.listener({ type: 'run-start', runId, pipeline: 'community-qa', at: at() });
    fake.enqueue({ content: 'one', usage: { prompt_tokens: 100, completion_tokens: 10 } }, { content: 'two', usage: { prompt_tokens: 200, completion_tokens: 20 } });
    const r1 = await h.call(ask('ledger a'));
    const r2 = await h.call(ask('ledger b'));
    const r3 = await h.call(ask('ledger a')); // cache hit
    for (const [step, r] of [['summ', r1], ['summ', r2], ['reply', r3]] as const) ledger.listener(callEvent(runId, step, r));
    ledger.listener({ ...callEvent(runId, 'reply', r3), cached: false, estimated: true, promptTokens: 0, completionTokens: 0, costUsd: undefined, code: 'PROVIDER_SERVER_ERROR', error: `503 overloaded (key ${KEY})` });
    ledger.listener({ type: 'step-end', runId, step: 'summ', kind: 'summarize', durationMs: 40, usage: { promptTokens: 300, completionTokens: 30, estimated: false, calls: 2, cachedCalls: 0, costUsd: 0 }, at: at() });
    ledger.listener({ type: 'step-error', runId, step: 'reply', code: 'PROVIDER_AUTH', message: `model openai:gpt-4o-mini: 401 bad key ${KEY} Bearer ${KEY}`, at: at() });
    ledger.listener({ type: 'run-end', runId, status: 'failed', durationMs: 123, notRun: ['zh'], at: at() });
    expect(ledger.lastError).toBeUndefined();

    const [summary] = listRuns(store, { limit: 5 });
    expect(summary).toMatchObject({ id: runId, pipeline: 'community-qa', status: 'failed', durationMs: 123, notRun: ['zh'] });
    expect(summary.usage).toMatchObject({ promptTokens: 300, completionTokens: 30, calls: 4, cachedCalls: 1, failedCalls: 1, estimated: false, costKnown: true });
    expect(summary.usage.costUsd).toBeCloseTo((300 * 1 + 30 * 2) / 1e6, 12);

    const detail = getRun(store, 'run-0001')!; // a unique prefix is enough
    const summ = detail.steps.find((s) => s.step === 'summ')!;
    const reply = detail.steps.find((s) => s.step === 'reply')!;
    expect(summ).toMatchObject({ status: 'ok', kind: 'summarize', durationMs: 40, calls: 2, cachedCalls: 0, promptTokens: 300, models: ['openai:gpt-4o-mini'] });
    expect(reply).toMatchObject({ status: 'failed', errorCode: 'PROVIDER_AUTH', calls: 2, cachedCalls: 1, failedCalls: 1, costUsd: 0, promptTokens: 0 });
    expect(detail.calls.map((c) => c.cached)).toEqual([false, false, true, false]);
    expect(detail.calls[3]).toMatchObject({ errorCode: 'PROVIDER_SERVER_ERROR', error: '503 overloaded (key ***)' });
    expect(getRun(store, 'no-such-run')).toBeUndefined();
  });

  it('never writes the key: not in rows, not anywhere in the database files', () => {
    const detail = getRun(store, 'run-0001-ledger')!;
    expect(detail.error).toContain('401 bad key');
    expect(JSON.stringify(detail)).not.toContain(KEY);
    closeRunsDb(store); // checkpoint the WAL so every byte is in files we can read
    for (const name of readdirSync(store)) {
      expect(readFileSync(join(store, name)).includes(Buffer.from(KEY)), name).toBe(false);
    }
  });

  it('lists nothing for a store without a ledger', () => {
    const empty = mkdtempSync(join(tmpdir(), 'loom-empty-'));
    expect(listRuns(empty)).toEqual([]);
    expect(getRun(empty, 'x')).toBeUndefined();
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('redact', () => {
  it.each([
    ['key sk-unregistered-zzzzzzzz here', 'key sk-*** here'],
    ['authorization=abcdefgh1234', 'authorization=***'],
    ['Authorization: Bearer abc.def-123456', 'Authorization: Bearer ***'],
    ['{"api_key": "hunter2hunter2"}', '{"api_key": "***"}'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('removes the values of secret-looking env variables and named ones', () => {
    const e = { MY_TOKEN: 'tok_9f8e7d6c5b', MODEL_CRED: 'plain-value-42', HOME: '/home/me' };
    expect(redact('a tok_9f8e7d6c5b b plain-value-42 /home/me', e, ['MODEL_CRED'])).toBe('a *** b *** /home/me');
  });
});
