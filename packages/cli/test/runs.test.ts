import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, resolveModel, type RunEvent } from '@promptloom/core';
import { pipelineWithModels, startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const KEY = 'sk-cli-runs-secret-998877';
let store: string;
let fake: FakeOpenAI;

function loom(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', LOOM_STORE: '' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  store = mkdtempSync(join(tmpdir(), 'loom-cli-runs-'));
  fake = await startFakeOpenAI();
  const env = { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: KEY };
  const p = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0, price: { input: 0.15, output: 0.6 } } }, { store });
  const model = (await resolveModel(undefined, p, { env }))!;
  const ledger = createLedger(store, { env });
  const at = () => new Date().toISOString();
  const emit = (e: RunEvent) => ledger.listener(e);
  for (const runId of ['aaaa1111-first', 'bbbb2222-second']) {
    emit({ type: 'run-start', runId, pipeline: 'community-qa', at: at() });
    fake.enqueue({ content: 'Retries back off [1].', usage: { prompt_tokens: 1200, completion_tokens: 80 } });
    const r = await model.call({ messages: [{ role: 'user', content: 'How do retries work?' }] });
    emit({ type: 'model-call', runId, step: 'reply', model: r.model, promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens, estimated: r.usage.estimated, cached: r.cached, latencyMs: r.latencyMs, costUsd: r.costUsd, at: at() });
    emit({ type: 'step-end', runId, step: 'reply', kind: 'answer', durationMs: 35, usage: { promptTokens: 0, completionTokens: 0, estimated: false, calls: 1, cachedCalls: 0, costUsd: 0 }, at: at() });
    emit({ type: 'run-end', runId, status: 'ok', durationMs: 50, notRun: [], at: at() });
  }
});

afterAll(async () => {
  await fake.close();
  rmSync(store, { recursive: true, force: true });
});

describe('loom runs', () => {
  it('lists runs newest first, as JSON and as a table', () => {
    const json = loom('runs', 'list', '--store', store, '--json');
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout);
    expect(list.map((r: { id: string }) => r.id)).toEqual(['bbbb2222-second', 'aaaa1111-first']);
    expect(list[1].usage).toMatchObject({ calls: 1, cachedCalls: 0, promptTokens: 1200, completionTokens: 80 });
    expect(list[0].usage).toMatchObject({ calls: 1, cachedCalls: 1, promptTokens: 0, costUsd: 0 });
    const text = loom('runs', '--store', store, '--limit', '1');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID\s+STARTED/);
    expect(text.stdout).toContain('bbbb2222-sec');
    expect(text.stdout).not.toContain('aaaa1111');
  });

  it('shows one run by id prefix: the second identical call came from the cache', () => {
    const shown = loom('runs', 'show', 'bbbb', '--store', store);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('model calls: 1 (1 from the cache)');
    expect(shown.stdout).toMatch(/reply\s+answer\s+ok\s+35 ms\s+openai:gpt-4o-mini\s+1\s+1 \(all\)/);
    const first = JSON.parse(loom('runs', 'show', 'aaaa1111-first', '--store', store, '--json').stdout);
    expect(first.calls[0]).toMatchObject({ cached: false, promptTokens: 1200 });
    expect(first.usage.costUsd).toBeCloseTo((1200 * 0.15 + 80 * 0.6) / 1e6, 12);
    expect(JSON.stringify(first)).not.toContain(KEY);
  });

  it('says what to do for a missing store or run, with exit code 1 and no stack', () => {
    const missing = loom('runs', 'list', '--store', join(store, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no store at .*nope \(from --store\)\nhint: create it with: loom ingest/);
    const noRun = loom('runs', 'show', 'zzzz', '--store', store);
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toContain('no run "zzzz"');
    expect(noRun.stderr).not.toMatch(/\n\s+at /);
  });
});
