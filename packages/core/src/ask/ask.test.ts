import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../ingest/index.js';
import { ask } from './ask.js';

// ask() as a library user calls it: a project that installed @promptloom/core and
// @promptloom/recipes, no recipeDirs passed, the store given by name.
const recipesPkg = resolve(dirname(fileURLToPath(import.meta.url)), '../../../recipes');
let project: string;
const env = { LOOM_STORE: '', HOME: '/nonexistent' };

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'loom-ask-lib-'));
  mkdirSync(join(project, 'node_modules', '@promptloom'), { recursive: true });
  symlinkSync(recipesPkg, join(project, 'node_modules', '@promptloom', 'recipes'));
  writeFileSync(join(project, 'package.json'), '{"name": "app", "type": "module"}');
  mkdirSync(join(project, 'docs', 'en'), { recursive: true });
  mkdirSync(join(project, 'docs', 'zh'), { recursive: true });
  writeFileSync(join(project, 'docs', 'en', 'retries.md'), '---\nurl: https://docs.example.org/retries\n---\n# Retries\n\nFeeds that fail to fetch are retried three times with exponential backoff.\n');
  writeFileSync(join(project, 'docs', 'zh', 'retries.md'), '---\nurl: javascript:alert(1)\n---\n# 重试\n\n抓取失败的订阅源会以指数退避重试三次。\n');
  await ingest({ paths: ['docs'], store: join(project, 'kb'), cwd: project, env });
}, 60_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('ask()', () => {
  it('finds the shipped ask recipe by itself and answers with cited, linked sources', async () => {
    const out = await ask({ question: 'How often are feeds that fail to fetch retried?', store: 'kb', cwd: project, env });
    expect(out.extractive).toBe(true);
    expect(out.grounded).toBe(true);
    expect(out.answer).toContain('three times');
    expect(out.citations[0]).toMatchObject({ n: 1, source: 'en/retries.md', heading: 'Retries', url: 'https://docs.example.org/retries' });
    expect(out.note).toMatch(/^no model configured/);
    expect(out.store).toEqual({ location: join(project, 'kb'), kind: 'dir', from: 'flag' });
    expect(out.lang).toBe('en');
  });

  it('filters retrieval, and never links a javascript: URL', async () => {
    const out = await ask({ question: '抓取失败的订阅源会重试几次？', store: 'kb', cwd: project, env, filter: { source: 'zh/**' } });
    expect(out.citations.map((c) => c.source)).toEqual(['zh/retries.md']);
    expect(out.citations[0].url).toBeUndefined();
    // the English question would cite the English page; filtered to zh/ it cannot
    const filtered = await ask({ question: 'How often are feeds that fail to fetch retried?', store: 'kb', cwd: project, env, filter: { source: 'zh/**' } });
    expect(filtered.citations.some((c) => c.source.startsWith('en/'))).toBe(false);
  });

  it('says which setting chose a missing store, and refuses an empty question', async () => {
    await expect(ask({ question: 'x', cwd: project, env: { LOOM_STORE: 'nope' } })).rejects.toMatchObject({
      code: 'STORE_NOT_FOUND', message: `no store at ${join(project, 'nope')} (from LOOM_STORE)`,
    });
    await expect(ask({ question: '  ', cwd: project, env })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
