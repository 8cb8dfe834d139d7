import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixture = resolve(here, '../../core/test/fixtures/docs');
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'loom-cli-ingest-'));
  cpSync(fixture, join(tmp, 'docs'), { recursive: true });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function loom(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CI: '1', LOOM_STORE: '', ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loom ingest', () => {
  it('indexes into ./.loom with one summary line, then embeds nothing the second time', () => {
    const first = loom(['ingest', 'docs']);
    expect(first.stderr).toBe(''); // no progress bar in a pipe
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ingested 10 files: 12 added, 0 updated, 0 unchanged, 0 removed; 26 chunks \(26 embedded\) in \d+\.\d s -> .*\.loom\n$/);
    const second = loom(['ingest', 'docs', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ added: 0, unchanged: 12, embedded: 0, chunks: 0, skipped: [] });
  });

  it('warns once per bad file on stderr and still ingests the rest', () => {
    writeFileSync(join(tmp, 'docs', 'image.md'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00]));
    writeFileSync(join(tmp, 'docs', 'empty.jsonl'), '{"title": "no text"}\nnot json\n');
    const r = loom(['ingest', 'docs', '--store', 'st']);
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      'warning: empty.jsonl: line 2: invalid JSON; record 1 has no text field (text, content, body)',
      'warning: skipped image.md: binary file (NUL bytes)',
    ]);
    expect(r.stdout).toMatch(/12 added.*2 skipped/);
  });

  it('fails clearly on a missing path, another embedder, and a locked store', { timeout: 120_000 }, () => {
    if (existsSync('/proc/self')) {
      // a directory that cannot be created fails with STORE_IO (exit 2) instead of hanging
      const unwritable = loom(['ingest', 'docs', '--store', '/proc/self/nope']);
      expect(unwritable.code).toBe(2);
      expect(unwritable.stderr).toMatch(/^error: cannot create the store directory \/proc\/self\/nope/);
    }
    const missing = loom(['ingest', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: nope: no such file or folder\n/);
    expect(loom(['ingest', 'docs/zh', '--store', 'st', '--embedder', 'local:64']).code).toBe(0);
    // without --embedder the store's own is used; asking for another is refused
    expect(loom(['ingest', 'docs/zh', '--store', 'st']).code).toBe(0);
    const mismatch = loom(['ingest', 'docs/zh', '--store', 'st', '--embedder', 'local']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('was built with embedder local:hash-v1:64; this run uses local:hash-v1:512');
    expect(mismatch.stderr).toContain('hint: use --embedder local:64 (or leave it out), or add --reembed');
    // a live process (this test runner) holds the lock
    writeFileSync(join(tmp, 'st', 'store.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() - 5000, what: 'loom ingest docs' }));
    const locked = loom(['ingest', 'docs/zh', '--store', 'st', '--embedder', 'local:64']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(new RegExp(`^error: store is locked by pid ${process.pid} \\(loom ingest docs, started \\d+s ago\\)`));
  });

  it('prunes removed files and re-chunks on --chunk-size', () => {
    loom(['ingest', 'docs']);
    rmSync(join(tmp, 'docs', 'zh'), { recursive: true });
    const pruned = loom(['ingest', 'docs', '--prune', '--json']);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ removed: 3, unchanged: 9 });
    const rechunked = JSON.parse(loom(['ingest', 'docs', '--chunk-size', '300', '--json']).stdout);
    expect(rechunked.updated).toBe(9);
    expect(loom(['ingest', 'docs', '--chunk-size', 'big']).stderr).toMatch(/--chunk-size must be a whole number/);
  });
});
