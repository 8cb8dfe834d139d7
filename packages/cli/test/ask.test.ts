import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lastUserMessage, startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const docs = resolve(here, '../../../examples/community-docs');
let fake: FakeOpenAI;
let work: string;
let store: string;

interface Spawned { code: number | null; stdout: string; stderr: string }

function loom(args: string[], env: Record<string, string> = {}): Promise<Spawned> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, CI: '1', LOOM_STORE: '', LOOM_MODEL: '', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-key', ...env },
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

beforeAll(async () => {
  fake = await startFakeOpenAI();
  work = mkdtempSync(join(tmpdir(), 'loom-cli-ask-'));
  store = join(work, 'store');
  const r = await loom(['ingest', docs, '--store', store]);
  if (r.code !== 0) throw new Error(`ingest failed: ${r.stderr}`);
}, 120_000);
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.setHandler(undefined);
});

const sources = (stdout: string) => stdout.split('\nSources:\n')[1]?.trim().split('\n') ?? [];

describe('loom ask offline (no model configured)', () => {
  it('answers a question about the docs with quoted sentences and their sources', async () => {
    const r = await loom(['ask', 'How do I configure retries for feeds that fail to fetch?', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Extractive answer (no model configured; quoted from the sources):');
    expect(r.stdout).toMatch(/fetch\.retry/);
    const lines = sources(r.stdout);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\[\d+\] (en|zh)\/\S+\.md › .+/);
    expect(lines.some((l) => l.includes('en/guide/fetch-retries.md'))).toBe(true);
    // every marker in the answer has its source line
    for (const m of r.stdout.split('\nSources:\n')[0].matchAll(/\[(\d+)\]/g)) expect(lines.some((l) => l.startsWith(`[${m[1]}] `))).toBe(true);
    expect(r.stderr).toMatch(/no model configured/);
    expect(r.stderr).toMatch(/--model openai:NAME/);
    expect(r.stderr).toMatch(/OPENAI_BASE_URL/);
  });

  it('answers a Chinese question from the Chinese pages', async () => {
    const r = await loom(['ask', '收到的 Webhook 请求怎么校验签名？', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('摘录式回答（未配置模型；摘自原文）：');
    expect(sources(r.stdout).some((l) => l.includes('zh/reference/webhooks.md'))).toBe(true);
  });

  it.each(['What is the capital of France?', '北京烤鸭怎么做？'])('refuses an unrelated question: %s', async (question) => {
    const r = await loom(['ask', question, '--store', store, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.grounded).toBe(false);
    expect(out.citations).toEqual([]);
    expect(out.answer).toBe(/[\u4e00-\u9fff]/.test(question) ? '根据现有文档，我无法回答这个问题。' : "I can't answer that from the available documents.");
  });

  it('--json prints {answer, citations, grounded}', async () => {
    const r = await loom(['ask', 'Which port does the web interface listen on?', '--store', store, '--json', '-k', '4']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.grounded).toBe(true);
    expect(out.extractive).toBe(true);
    expect(out.answer).toMatch(/8470/);
    // the extractive banner is a field, not part of the answer
    expect(out).toMatchObject({ status: 'ok', lang: 'en', note: expect.stringMatching(/^no model configured/), runId: expect.any(String) });
    expect(out.answer).not.toMatch(/no model configured/);
    expect(out.citations[0]).toEqual({ id: expect.any(String), n: expect.any(Number), source: expect.stringMatching(/\.md$/), heading: expect.any(String), quote: expect.any(String) });
    expect(out.citations.every((c: { n: number }) => c.n >= 1 && c.n <= 4)).toBe(true);
  });

  it('says how to create a store when there is none (exit 1)', async () => {
    const r = await loom(['ask', 'anything', '--store', join(work, 'missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no store at .*missing \(from --store\)/);
    // --json says so on stdout too, for a script that reads only stdout
    const json = await loom(['ask', 'anything', '--store', join(work, 'missing'), '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ status: 'failed', error: { code: 'STORE_NOT_FOUND', message: expect.stringMatching(/^no store at .*missing \(from --store\)$/) } });
    expect(r.stderr).toMatch(/hint: create it with: loom ingest <folder> --store /);
  });
});

describe('loom ask with a model (fake OpenAI-compatible server)', () => {
  it('prints the checked answer and its sources, warning about a citation that points nowhere', async () => {
    fake.setHandler(() => 'Retries are set under `fetch.retry` [1], see also [42].');
    const r = await loom(['ask', 'How do I configure retries for feeds that fail to fetch?', '--store', store, '--model', 'openai:test-model', '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Retries are set under `fetch.retry` [1], see also.');
    expect(sources(r.stdout)).toHaveLength(1);
    expect(sources(r.stdout)[0]).toMatch(/^\[1\] \S+\.md/);
    expect(r.stderr).toMatch(/warning: step "reply": the model cited \[42\]/);
    expect(r.stderr).not.toMatch(/no model configured/);
    const user = lastUserMessage(fake.requestsTo('chat')[0]);
    expect(user).toMatch(/<passage n="6"/);
  });

  it('answers a Chinese question in Chinese, citing whatever page the passage came from', async () => {
    fake.setHandler((req) => (req.body.messages[0].content.includes('Write the answer in Chinese') ? '在 `fetch.retry` 中配置重试[1]。' : 'wrong'));
    const r = await loom(['ask', '抓取失败的订阅源，重试次数和间隔在哪里配置？', '--store', store, '--model', 'openai:test-model', '--json', '--no-cache']);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ answer: '在 `fetch.retry` 中配置重试[1]。', grounded: true, extractive: false });
    expect(out.citations).toHaveLength(1);
  });

  it('refuses in the question\'s language when the model replies NO_ANSWER', async () => {
    fake.setHandler(() => 'NO_ANSWER');
    const r = await loom(['ask', 'Does the web interface have a dark theme?', '--store', store, '--model', 'openai:test-model', '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("I can't answer that from the available documents.\n");
  });

  it('reports a model that cannot be reached as a run failure naming the step (exit 2)', async () => {
    const r = await loom(['ask', 'How do I back up?', '--store', store, '--model', 'openai:test-model', '--no-cache'], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/step "reply"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
