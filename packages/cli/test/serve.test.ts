import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingest } from '@promptloom/core';
import { startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const docs = resolve(here, '../../../examples/community-docs');
let fake: FakeOpenAI;
let work: string;
let store: string;

interface Served { child: ChildProcessWithoutNullStreams; url: string; stdout: () => string; stderr: () => string; exit: Promise<number | null> }

/** `loom serve` as a user runs it, resolved once it prints its line. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', '--store', store, '--port', '0', ...args], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', HOME: work, CI: '1', LOOM_STORE: '', LOOM_MODEL: '', LOOM_API_KEYS: '', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-key', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return new Promise((done, fail) => {
    child.stdout.on('data', () => {
      const m = /^listening (http:\/\/\S+)\n/.exec(stdout);
      if (m) done({ child, url: m[1], stdout: () => stdout, stderr: () => stderr, exit });
    });
    void exit.then((code) => fail(new Error(`loom serve exited (${code}) before listening: ${stderr}`)));
  });
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 10 });
  work = mkdtempSync(join(tmpdir(), 'loom-cli-serve-'));
  store = join(work, 'store');
  await ingest({ paths: [docs], store, embedder: 'local' });
}, 120_000);
afterAll(async () => {
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('loom serve', () => {
  it('prints exactly one line, serves, and on SIGTERM finishes the stream in flight, refuses new connections and exits 0', async () => {
    fake.reset();
    fake.setHandler(() => ({ content: 'Set fetch.retry in tidewren.yaml [1].', delayMs: 1500 }));
    const s = await serve(['--model', 'openai:fake-model']);
    expect(s.stdout()).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+\n$/);
    let streamed = '';
    const finished = new Promise<void>((done) => {
      const req = httpRequest(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.on('data', (c: Buffer) => (streamed += c.toString()));
        res.on('end', () => done());
      });
      req.end(JSON.stringify({ model: 'ask', stream: true, messages: [{ role: 'user', content: 'How do I configure fetch retries?' }] }));
    });
    // (the first answer of a fresh process loads the language models: slow on a loaded machine)
    await vi.waitFor(() => expect(fake.inFlight).toBe(1), { timeout: 60_000, interval: 20 });
    s.child.kill('SIGTERM');
    // new connections are refused while the stream in flight carries on
    await vi.waitFor(async () => {
      const refused = await fetch(`${s.url}/healthz`).then(() => false, () => true);
      expect(refused).toBe(true);
    }, { timeout: 10_000, interval: 50 });
    await finished;
    expect(streamed).toContain('fetch.retry');
    expect(streamed).toContain('data: [DONE]');
    expect(await s.exit).toBe(0);
    expect(s.stdout().trim().split('\n')).toHaveLength(1);
    fake.setHandler(undefined);
  }, 120_000);

  it('refuses to bind a non-loopback address without keys (exit 1, with what to do)', async () => {
    const error = await serve(['--host', '0.0.0.0']).catch((e: Error) => e);
    expect(String(error)).toContain('refusing to serve 0.0.0.0 without API keys');
    expect(String(error)).toContain('--allow-anonymous');
    expect(String(error)).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('--workers 2: one line, two worker processes answering on one port, all gone after SIGTERM', async () => {
    const s = await serve(['--workers', '2']);
    expect(s.stdout()).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+\n$/);
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${s.url}/v1/search?q=retries&k=1`).then((r) => r.status)));
    expect(answers).toEqual([200, 200, 200, 200, 200, 200]);
    // connections are handed out round-robin: concurrent ones reach both workers
    const workers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${s.url}/healthz`).then(async (r) => (await r.json()).worker)));
    expect(new Set(workers)).toEqual(new Set([1, 2]));
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(s.stdout().trim().split('\n')).toHaveLength(1);
    // the port is free again: no worker was left behind
    const refused = await fetch(`${s.url}/healthz`).then(() => false, () => true);
    expect(refused).toBe(true);
  }, 120_000);

  it('refuses a bad flag with exit 1', async () => {
    const error = await serve(['--max-runs', '0']).catch((e: Error) => e);
    expect(String(error)).toContain('exited (1)');
  });
});
