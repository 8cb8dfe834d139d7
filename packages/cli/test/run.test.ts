import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lastUserMessage, startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixtures = join(here, 'fixtures', 'run');
let fake: FakeOpenAI;
let work: string;

interface Spawned { code: number | null; stdout: string; stderr: string }

/** Spawns the built CLI without blocking this process (the fake server answers from here). */
function loom(args: string[], options: { env?: Record<string, string>; stdin?: string; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Spawned> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', CI: '1', LOOM_STORE: '', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-key', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const model = ['--model', 'openai:test-model'];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  work = mkdtempSync(join(tmpdir(), 'loom-cli-run-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.setHandler(undefined);
});

describe('loom run', () => {
  it('runs a pipeline against an OpenAI-compatible server and prints the outputs (exit 0)', async () => {
    const r = await loom(['run', join(fixtures, 'two-asks.yaml'), '--input', 'topic=向量索引', '--input', 'count=3', ...model]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      'answer: Fake answer: Say it again: Fake answer: Tell me about 向量索引.',
      'child: Fake answer: Echo 向量索引.',
      'count: 3',
      '',
    ].join('\n'));
    const chat = fake.requestsTo('chat');
    expect(chat).toHaveLength(3);
    expect(chat.every((q) => q.body.model === 'test-model')).toBe(true);
  });

  it('prints {status, outputs, steps, usage} with --json', async () => {
    const r = await loom(['run', join(fixtures, 'one-ask.yaml'), '--input', 'question=What is HNSW?', '--json', ...model]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: 'ok', outputs: { answer: 'Fake answer: What is HNSW?' }, notRun: [] });
    expect(out.steps.ask).toMatchObject({ status: 'ok', attempts: 1, warnings: [], usage: { calls: 1 } });
    expect(typeof out.steps.ask.durationMs).toBe('number');
    expect(out.usage.promptTokens).toBeGreaterThan(0);
    expect(lastUserMessage(fake.requestsTo('chat')[0])).toBe('What is HNSW?');
  });

  it('writes events as NDJSON to stdout with --events -, and to a file', async () => {
    const r = await loom(['run', join(fixtures, 'one-ask.yaml'), '--input', 'question=hi', '--events', '-', ...model]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const events = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['run-start', 'step-start', 'model-call', 'step-end', 'run-end']);
    expect(events[2]).toMatchObject({ step: 'ask', model: 'openai:test-model', cached: false });
    expect(lines.at(-1)).toBe('Fake answer: hi');

    const file = join(work, 'events.ndjson');
    const f = await loom(['run', join(fixtures, 'two-asks.yaml'), '--input', 'topic=x', '--events', file, ...model]);
    expect(f.code).toBe(0);
    const logged = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(logged.filter((e) => e.type === 'step-end').map((e) => e.step).sort()).toEqual(['first', 'second', 'sub', 'sub/echo']);
  });

  it('reads inputs from a JSON file and from standard input; --input wins', async () => {
    const file = join(work, 'inputs.json');
    writeFileSync(file, JSON.stringify({ question: 'from file' }));
    const a = await loom(['run', join(fixtures, 'one-ask.yaml'), '--inputs', file, ...model]);
    expect(a.stdout).toBe('Fake answer: from file\n');
    const b = await loom(['run', join(fixtures, 'one-ask.yaml'), '--inputs', '-', '--input', 'question=from flag', ...model], { stdin: '{"question": "from stdin"}' });
    expect(b.stdout).toBe('Fake answer: from flag\n');
    const c = await loom(['run', join(fixtures, 'one-ask.yaml'), '--inputs', '-', ...model], { stdin: '{"question": "标准输入"}' });
    expect(c.stdout).toBe('Fake answer: 标准输入\n');
  });

  it('--dry-run checks inputs and shows the plan without calling anything', async () => {
    const r = await loom(['run', join(fixtures, 'two-asks.yaml'), '--input', 'topic=x', '--dry-run', ...model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wave 1:\n  first  prompt · model default (openai:test-model)');
    expect(r.stdout).toContain('model calls: at most 2');
    expect(r.stdout).toContain('no step was run');
    expect(fake.requests).toHaveLength(0);
    const bad = await loom(['run', join(fixtures, 'two-asks.yaml'), '--dry-run']);
    expect(bad.code).toBe(1);
  });

  it('exits 1 naming a missing input, without a stack trace unless --debug', async () => {
    const r = await loom(['run', join(fixtures, 'one-ask.yaml'), ...model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/input "question": is required/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fake.requests).toHaveLength(0);
    const debug = await loom(['run', join(fixtures, 'one-ask.yaml'), '--debug', ...model]);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('exits 1 for a bad file with file:line:col, and for bad flags', async () => {
    const r = await loom(['run', join(fixtures, 'broken.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:5:\d+/);
    expect((await loom(['run', join(fixtures, 'one-ask.yaml'), '--concurrency', '0'])).code).toBe(1);
    expect((await loom(['run', join(fixtures, 'one-ask.yaml'), '--input', 'no-equals-sign'])).code).toBe(1);
    expect((await loom(['run', join(work, 'missing.yaml')])).code).toBe(1);
  });

  it('exits 1 when a prompt step has no model, with a hint', async () => {
    const r = await loom(['run', join(fixtures, 'one-ask.yaml'), '--input', 'question=hi'], { env: { OPENAI_BASE_URL: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('step "ask"');
    expect(r.stderr).toContain('--model openai:NAME');
  });

  it('exits 2 when a step fails, naming the step', async () => {
    fake.setHandler(() => ({ status: 500, errorMessage: 'the server broke' }));
    const r = await loom(['run', join(fixtures, 'one-ask.yaml'), '--input', 'question=hi', '--json', ...model]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: step "ask"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', error: { step: 'ask' }, steps: { ask: { status: 'failed', attempts: 1 } } });
  });

  it('stops cleanly on Ctrl-C and says which steps did not run (exit 2)', async () => {
    fake.setHandler((req) => (lastUserMessage(req).includes('SLOW') ? { delayMs: 20_000 } : undefined));
    let sent = false;
    const r = await loom(['run', join(fixtures, 'slow.yaml'), '--events', '-', ...model], {
      onStdout: (text, child) => {
        if (!sent && text.includes('"step":"quick","kind":"prompt","durationMs"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true); // the slow step waits 20 s: an exit before the test's limit means Ctrl-C stopped it
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('interrupted; these steps did not run: slow, after');
    const end = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(end).toMatchObject({ type: 'run-end', status: 'cancelled', notRun: ['slow', 'after'] });
  });
});
