import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import '../steps/index.js'; // registers the built-in step kinds
import { runPipeline } from '../engine/run.js';
import type { RunEvent, RunOptions } from '../engine/types.js';
import { loadPipeline } from '../spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/index.js';
import { createLedger, getRun } from './ledger.js';
import { closeRunsDb } from './runs-db.js';

// Whole runs through the engine, the real @langchain/openai client and the fake server:
// retries bounded by the step's retry:, clear errors, and the key in no event, error or ledger row.
const KEY = 'sk-team-0123456789abcdefXYZ';
let fake: FakeOpenAI;
let store: string;

beforeAll(async () => {
  // The provider imports @langchain/openai on first use; on a loaded machine that import alone
  // can outlast a step's timeout_ms, so it is loaded before any timed attempt.
  await import('@langchain/openai');
  fake = await startFakeOpenAI();
  store = mkdtempSync(join(tmpdir(), 'loom-faults-'));
});
afterAll(async () => {
  await fake.close();
  closeRunsDb(store);
  rmSync(store, { recursive: true, force: true });
});
beforeEach(() => { fake.reset(); fake.setHandler(undefined); });

const yaml = (temperature: number, attempts = 3) => `
version: 1
name: faults
inputs:
  q: { type: string, required: true }
models:
  default: { provider: openai, model: gpt-4o-mini, base_url: ${fake.url}, api_key_env: TEAM_KEY, temperature: ${temperature} }
steps:
  - id: ask
    prompt: { template: "Answer: {{ inputs.q }}" }
    retry: { attempts: ${attempts}, backoff_ms: 10 }
    timeout_ms: 2000
outputs:
  text: "{{ steps.ask.text }}"
`;

async function run(text: string, q: string, extra: RunOptions = {}) {
  const events: RunEvent[] = [];
  const ledger = createLedger(store, { env: { TEAM_KEY: KEY } });
  const pipeline = await loadPipeline(text);
  const result = await runPipeline(pipeline, { q }, {
    env: { TEAM_KEY: KEY }, store, listeners: [ledger.listener, (e) => events.push(e)], ...extra,
  });
  expect(ledger.lastError).toBeUndefined();
  return { result, events, detail: getRun(store, result.runId)! };
}

describe('model faults in a pipeline run', () => {
  it('a 429 with Retry-After is waited out, then the answer is recorded with the failed attempt', async () => {
    fake.enqueue({ status: 429, retryAfter: 1 }, { content: 'Forty-two.', usage: { prompt_tokens: 12, completion_tokens: 3 } });
    const t0 = Date.now();
    const { result, detail } = await run(yaml(0.5), 'meaning of life?');
    expect(result.status).toBe('ok');
    expect(result.outputs.text).toBe('Forty-two.');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(detail.usage).toMatchObject({ calls: 2, failedCalls: 1, promptTokens: 12, completionTokens: 3 });
    expect(detail.calls[0].errorCode).toBe('PROVIDER_RATE_LIMIT');
  });

  it('a server that always fails gives up after the step attempts with the model and server message', async () => {
    fake.setHandler(() => ({ status: 502, errorMessage: 'bad gateway upstream' }));
    const { result, events, detail } = await run(yaml(0.5, 3), 'anything');
    expect(result.status).toBe('failed');
    expect(fake.requestsTo('chat')).toHaveLength(3);
    const err = result.steps.ask.error!;
    expect(err.code).toBe('PROVIDER_SERVER_ERROR');
    expect(err.message).toContain('openai:gpt-4o-mini');
    expect(err.message).toContain('502 bad gateway upstream');
    expect(events.filter((e) => e.type === 'step-retry')).toHaveLength(2);
    expect(detail).toMatchObject({ status: 'failed', usage: { calls: 3, failedCalls: 3 } });
  });

  it('a stream cut mid-way fails the attempt and the retry answers in full', async () => {
    fake.enqueue({ fault: 'stream-cut', content: 'partial partial partial', cutAfterChunks: 1 }, { content: 'complete answer' });
    const tokens: string[] = [];
    const { result } = await run(yaml(0.5), 'stream please', { onToken: (d) => tokens.push(d) });
    expect(result.status).toBe('ok');
    expect(result.outputs.text).toBe('complete answer');
    expect(tokens.join('')).toBe('partial complete answer');
  });

  it('the key never appears in errors, events, outputs or the ledger, even when the server echoes it', async () => {
    fake.setHandler(() => ({ status: 401, errorMessage: `Incorrect API key provided: ${KEY}. Authorization: Bearer ${KEY}` }));
    const { result, events } = await run(yaml(0), 'leak it');
    expect(result.status).toBe('failed');
    expect(fake.requestsTo('chat')).toHaveLength(1); // 401 is not retried
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result.steps.ask.error!.code).toBe('PROVIDER_AUTH');
    const seen = JSON.stringify({ events, error: result.steps.ask.error!.message, hint: result.steps.ask.error!.hint, outputs: result.outputs });
    expect(seen).toContain('Incorrect API key provided');
    expect(seen).not.toContain(KEY);
    closeRunsDb(store);
    for (const name of readdirSync(store)) expect(readFileSync(join(store, name)).includes(Buffer.from(KEY)), name).toBe(false);
  });

  it('the second identical run at temperature 0 comes from the cache, and the ledger says so', async () => {
    const first = await run(yaml(0), 'cache this question');
    const second = await run(yaml(0), 'cache this question');
    expect(second.result.outputs.text).toBe(first.result.outputs.text);
    expect(fake.requestsTo('chat')).toHaveLength(1);
    expect(second.detail.steps[0]).toMatchObject({ step: 'ask', calls: 1, cachedCalls: 1, promptTokens: 0, costUsd: 0 });
    const third = await run(yaml(0), 'cache this question', { cache: false });
    expect(third.detail.steps[0].cachedCalls).toBe(0);
    expect(fake.requestsTo('chat')).toHaveLength(2);
  });

  it('two independent model steps are in flight on the server at the same time', async () => {
    fake.setHandler(() => ({ delayMs: 300 }));
    const text = yaml(0.5).replace('outputs:', `  - id: other
    prompt: { template: "Other: {{ inputs.q }}" }
outputs:`);
    const { result, detail } = await run(text, 'parallel');
    expect(result.status).toBe('ok');
    expect(fake.maxInFlight).toBe(2);
    expect(detail.steps.map((s) => s.calls)).toEqual([1, 1]);
  });

  it('with the default retry, a dead server is given up on after 3 attempts, naming step and model', async () => {
    const dead = await startFakeOpenAI();
    const url = dead.url;
    await dead.close();
    const text = yaml(0.5).replace(fake.url, url).replace(/    retry: .*\n    timeout_ms: 2000\n/, '');
    const { result, detail } = await run(text, 'anyone there?');
    expect(result.status).toBe('failed');
    expect(result.steps.ask.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', stepId: 'ask' });
    expect(result.steps.ask.error!.message).toContain(`openai:gpt-4o-mini at ${url}`);
    expect(result.steps.ask.attempts).toBe(3);
    expect(result.steps.ask.error!.message).toMatch(/\(gave up after 3 attempts\)$/);
    expect(detail.usage.failedCalls).toBe(3);
  });
});
