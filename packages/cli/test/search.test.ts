import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixture = resolve(here, '../../core/test/fixtures/docs');
const tmp = mkdtempSync(join(tmpdir(), 'loom-cli-search-'));
const store = join(tmp, 'store');

function loom(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CI: '1', LOOM_STORE: store }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  expect(loom(['ingest', fixture]).code).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loom search', () => {
  it('--json prints an array of hits with source, heading, lang, score, text, id', () => {
    const r = loom(['search', 'How many attempts does a failed job get by default?', '-k', '3', '--json']);
    expect(r.code).toBe(0);
    const hits = JSON.parse(r.stdout);
    expect(hits).toHaveLength(3);
    for (const h of hits) expect(Object.keys(h)).toEqual(expect.arrayContaining(['id', 'source', 'heading', 'lang', 'score', 'text']));
    expect(hits[0]).toMatchObject({ source: 'en/guide/retries.md', heading: 'Retries and Backoff > Retrying failed jobs', lang: 'en' });
  });

  it('finds the Chinese passage for a Chinese question, and restricts by language and source', () => {
    const zh = JSON.parse(loom(['search', '限流器是怎么工作的？', '--json', '-k', '2']).stdout);
    expect(zh[0]).toMatchObject({ source: 'zh/guide/rate-limiting.md', lang: 'zh' });
    const onlyEn = JSON.parse(loom(['search', 'retry', '--lang', 'en', '--json']).stdout);
    expect(onlyEn.length).toBeGreaterThan(0);
    expect(onlyEn.every((h: { lang: string }) => h.lang === 'en')).toBe(true);
    const api = JSON.parse(loom(['search', 'close', '--filter', 'source=en/api/**', '--json']).stdout);
    expect(api.map((h: { source: string }) => h.source)).toEqual(['en/api/worker.md', 'en/api/worker.md', 'en/api/worker.md']);
    const tagged = JSON.parse(loom(['search', 'queue', '--filter', 'tag=errors', '--mode', 'lexical', '--json']).stdout);
    expect(new Set(tagged.map((h: { source: string }) => h.source))).toEqual(new Set(['en/guide/retries.md', 'zh/guide/retries.md']));
  });

  it('prints numbered hits as text, and "no results" on stderr when nothing matches', () => {
    const r = loom(['search', 'cron', 'expression', '-k', '1']);
    expect(r.stdout).toMatch(/^1\. en\/guide\/scheduling\.md › Scheduling Jobs > Cron expressions {2}\(\d\.\d{3}, en\)\n {3}Recurring work/);
    const none = loom(['search', 'zzzqqq', '--mode', 'lexical']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'no results\n' });
  });

  it('fails with a hint for a missing store and bad flags', () => {
    const r = spawnSync(process.execPath, [bin, 'search', 'x'], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CI: '1', LOOM_STORE: '' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: no store at ${join(tmp, '.loom')}`);
    expect(r.stderr).toContain('hint: create it with: loom ingest <folder> (e.g. loom ingest examples/community-docs), or pass --store / set LOOM_STORE');
    expect(loom(['search', 'x', '-k', '0']).stderr).toMatch(/-k must be a whole number from 1 to 1000/);
    expect(loom(['search', 'x', '--mode', 'fuzzy']).code).toBe(1);
    expect(loom(['search', 'x', '--filter', 'nokey']).stderr).toMatch(/--filter "nokey" is not key=value/);
  });
});
