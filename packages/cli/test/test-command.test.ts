import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';
import { recipeModel } from './recipe-model.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const bin = resolve(here, '../dist/bin.js');
let work: string;
let store: string;
let fake: FakeOpenAI;

interface Spawned { code: number | null; stdout: string; stderr: string }

function loom(args: string[], env: Record<string, string> = {}): Promise<Spawned> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: work, CI: '1', LOOM_STORE: '', LOOM_MODEL: '', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end();
  });
}

interface JsonCase { pipeline: string; name: string; status: string; reason?: string; checks: { ok: boolean; label: string; detail?: string }[] }
interface JsonReport { cases: JsonCase[]; passed: number; failed: number; skipped: number }

const failures = (r: JsonReport) => r.cases.filter((c) => c.status === 'failed').map((c) => ({ case: `${c.pipeline} › ${c.name}`, reason: c.reason, checks: c.checks.filter((k) => !k.ok) }));

beforeAll(async () => {
  fake = await startFakeOpenAI({ handler: recipeModel });
  work = mkdtempSync(join(tmpdir(), 'loom-test-cmd-'));
  store = join(work, 'store');
  const ingest = await loom(['ingest', join(root, 'examples/community-docs'), '--store', store]);
  expect(ingest.code, ingest.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

describe('loom test --recipes', () => {
  it('passes every offline case of every shipped recipe over the example docs', async () => {
    const r = await loom(['test', '--recipes', '--store', store]);
    expect(r.stdout).toMatch(/^PIPELINE\s+CASE\s+STATUS\s+CHECKS\s+TIME$/m);
    const last = r.stdout.trim().split('\n').pop()!;
    expect(last).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
    expect(r.code, r.stdout).toBe(0);
    const json = JSON.parse((await loom(['test', '--recipes', '--store', store, '--json'])).stdout) as JsonReport;
    expect(failures(json)).toEqual([]);
    const recipes = new Set(json.cases.map((c) => c.pipeline));
    for (const name of ['ask', 'summarize-article', 'translate-doc', 'digest', 'faq', 'bilingual-answer', 'write']) expect(recipes.has(name), name).toBe(true);
    expect(json.passed).toBeGreaterThanOrEqual(15);
    // without a model, the model cases are skipped, never failed
    expect(json.cases.filter((c) => c.status === 'skipped').every((c) => /needs a model/.test(c.reason ?? ''))).toBe(true);
    expect(fake.requestsTo('chat')).toHaveLength(0);
  }, 120_000);

  it('runs the model cases against an OpenAI-compatible server with --model', async () => {
    fake.reset();
    const r = await loom(['test', '--recipes', '--store', store, '--model', 'openai:fake-model', '--json', '--no-cache']);
    const json = JSON.parse(r.stdout) as JsonReport;
    expect(failures(json)).toEqual([]);
    expect(r.code).toBe(0);
    const ran = json.cases.filter((c) => c.status === 'passed').map((c) => `${c.pipeline} › ${c.name}`);
    for (const expected of [
      'translate-doc › code blocks, inline code and links come back byte-identical',
      'digest › with a model the pages are grouped into topics under an overview',
      'faq › with a model, proposed questions are answered with citations',
      'bilingual-answer › with a model both answers are generated and cited',
      'write › a Chinese welcome post',
    ]) expect(ran).toContain(expected);
    // offline-only cases are skipped with a model
    expect(json.cases.find((c) => c.name.startsWith('offline it refuses'))?.status).toBe('skipped');
    const chat = fake.requestsTo('chat');
    expect(chat.length).toBeGreaterThan(10);
    expect(chat.every((q) => q.body.model === 'fake-model')).toBe(true);
  }, 180_000);
});

describe('loom test FILE', () => {
  it('prints the failing checks with their details and exits 1', async () => {
    const file = join(work, 'pipeline.yaml');
    writeFileSync(file, [
      'version: 1',
      'name: notes',
      'inputs: { text: { type: string, required: true } }',
      'steps:',
      '  - id: s',
      '    summarize: { text: "{{ inputs.text }}", max_words: 20 }',
      'outputs: { summary: "{{ steps.s.summary }}" }',
      'tests:',
      '  - name: keeps the point',
      '    inputs: { text: "Backups run at three. Restores need the service stopped." }',
      '    assert: [{ path: summary, contains: Backups }]',
      '  - name: wrong on purpose',
      '    inputs: { text: "Backups run at three." }',
      '    assert: [{ path: summary, contains: 向量 }, { path: summary, matches: "^B" }]',
      '  - name: only with a model',
      '    mode: model',
      '    inputs: { text: x }',
      '    assert: [{ path: summary, matches: "." }]',
      '',
    ].join('\n'));
    const r = await loom(['test', 'pipeline.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/notes\s+keeps the point\s+passed\s+1\/1/);
    expect(r.stdout).toMatch(/notes\s+wrong on purpose\s+failed\s+1\/2/);
    expect(r.stdout).toContain('✗ notes › wrong on purpose');
    expect(r.stdout).toContain('✗ summary contains "向量"');
    expect(r.stdout).toContain('got: Backups run at three.');
    expect(r.stdout.trim().split('\n').pop()).toBe('1 passed, 1 failed, 1 skipped');
  }, 60_000);

  it('counts a file that does not load as a failure and says why', async () => {
    writeFileSync(join(work, 'broken.yaml'), 'version: 1\nname: broken\nsteps:\n  - id: a\n    summarise: { text: x }\n');
    const r = await loom(['test', 'broken.yaml', '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as JsonReport;
    expect(json.failed).toBe(1);
    expect(json.cases[0].reason).toContain('unknown step kind "summarise"');
  }, 30_000);

  it('refuses to run without files or --recipes', async () => {
    const r = await loom(['test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('loom test needs pipeline files or --recipes');
  });
});
