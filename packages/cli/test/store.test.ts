import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, sqliteOf } from '@promptloom/core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixture = resolve(here, '../../core/test/fixtures/docs');
const tmp = mkdtempSync(join(tmpdir(), 'loom-cli-store-'));
const store = join(tmp, 'store');

function loom(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--store', store], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  expect(loom(['ingest', fixture]).code).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loom store', () => {
  it('info reports the embedder, counts per language and the index', () => {
    const info = JSON.parse(loom(['store', 'info', '--json']).stdout);
    expect(info).toMatchObject({ sources: 12, chunks: 26, embedder: { id: 'local:hash-v1:512', spec: 'local', dimensions: 512 }, hnsw: { elements: 26, deleted: 0, m: 16 } });
    expect(info.languages).toMatchObject({ en: 18, zh: 8 });
    expect(loom(['store', 'info']).stdout).toMatch(/^store {5}.*\nembedder {2}local:hash-v1:512/);
  });

  it('check passes on a healthy store, repairs a damaged index file on open, and exits 2 when SQLite disagrees', async () => {
    expect(loom(['store', 'check'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: .*26 chunks; SQLite and the index agree/) });
    const file = readdirSync(store).find((f) => f.endsWith('.hnsw'))!;
    writeFileSync(join(store, file), 'not an index');
    expect(loom(['store', 'check']).code).toBe(0);

    const s = await openStore(store);
    sqliteOf(s).db.db.prepare('DELETE FROM chunks_fts WHERE rowid = (SELECT min(id) FROM chunks)').run();
    s.close();
    const bad = loom(['store', 'check']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('26 chunks but 25 full-text rows');
    const json = loom(['store', 'check', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, sqlite: { chunks: 26, fts: 25 } });
  });

  it('rebuild and compact rewrite the index', () => {
    expect(loom(['store', 'rebuild']).stdout).toMatch(/^rebuilt the index of .*: 26 vectors in \d+\.\d s\n$/);
    expect(loom(['store', 'compact', '--json']).stdout).toMatch(/"after": \d+/);
    expect(loom(['store', 'info', '--json']).stdout).toContain('"deleted": 0');
  });
});
