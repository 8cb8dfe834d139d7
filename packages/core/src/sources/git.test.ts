import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncFixture } from './sync-test-helpers.js';

let fx: SyncFixture;
let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org' } });
}

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

beforeEach(() => {
  fx = new SyncFixture();
  repo = join(fx.dir, 'handbook');
  mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  for (let i = 0; i < 6; i++) write(`docs/page-${i}.md`, `# Page ${i}\n\nThe handbook page ${i} explains how the team triages feed bugs.\n`);
  write('docs/logo.png', 'not text');
  write('README.md', '# Outside docs/\n\nNot synced: the source names docs/.\n');
  git('add', '.');
  git('commit', '-qm', 'first');
});
afterEach(() => fx.remove());

describe('git source', { timeout: 120_000 }, () => {
  it.each([
    ['a local path', () => './handbook'],
    ['a URL (cloned bare into the store)', () => pathToFileURL(repo).href],
  ])('syncs %s, then only the diff since the last synced commit', async (_name, where) => {
    fx.writeSources(`  - name: handbook\n    git: ${where()}\n    ref: main\n    path: docs/\n`);
    const first = await fx.sync();
    expect(first).toMatchObject({ fetched: 6, added: 6, skipped: 1, errors: 0 });
    expect(await fx.sync()).toMatchObject({ fetched: 0, added: 0, embedded: 0 });

    write('docs/page-2.md', '# Page 2\n\nRewritten: triage happens on Mondays now.\n');
    rmSync(join(repo, 'docs/page-4.md'));
    write('docs/new.md', '# New page\n\nA page added in the second commit about release notes.\n');
    git('add', '-A');
    git('commit', '-qm', 'second');
    const second = await fx.sync();
    expect(second).toMatchObject({ fetched: 2, added: 1, updated: 1, removed: 1 });
    const rows = await fx.rows();
    expect(rows.some((r) => r.text.includes('Mondays'))).toBe(true);
    expect(rows.some((r) => String(r.meta.url).endsWith('docs/page-4.md'))).toBe(false);
    expect(rows[0].meta).toMatchObject({ source_kind: 'git', kind: 'doc' });
  });

  it('names a missing repository and a bad ref', async () => {
    fx.writeSources(`  - name: handbook\n    git: ./nowhere\n`);
    expect((await fx.sync()).error?.message).toContain('git: no repository at');
    fx.writeSources(`  - name: handbook\n    git: ./handbook\n    ref: nosuchbranch\n`);
    expect((await fx.sync()).error?.message).toMatch(/^git rev-parse --verify: fatal: /);
  });
});
