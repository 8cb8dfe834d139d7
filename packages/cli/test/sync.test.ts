import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { docsPage, startFakeSite, type FakeSite } from '@promptloom/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixture = resolve(here, '../../core/test/fixtures/docs');
let tmp: string;
let site: FakeSite;

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'loom-cli-sync-'));
  cpSync(fixture, join(tmp, 'docs'), { recursive: true });
  site = await startFakeSite({ pages: { '/guide/a.html': docsPage('Webhooks', 'Webhook deliveries are signed with the shared secret of the endpoint.'), '/guide/b.html': docsPage('Backups', 'Backups run nightly and keep seven copies of the database.') } });
});
afterEach(async () => {
  await site.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The CLI in a child process, asynchronously: the fake site answers from this process. */
function loom(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CI: '1', LOOM_STORE: '' }, timeout: 150_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('loom sync', { timeout: 180_000 }, () => {
  it('prints one summary line per source, and --json the same counts', async () => {
    writeFileSync(join(tmp, 'loom.sources.yaml'), `version: 1\nsources:\n  - name: docs\n    path: ./docs\n  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
    const first = await loom(['sync']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^docs \(path\): \d+ fetched, 0 not modified, 12 added, 0 updated, 0 removed, 0 skipped, 0 errors \(0 requests, \d+ embedded, \d+\.\d s\)$/);
    expect(lines[1]).toMatch(/^site \(sitemap\): 2 fetched, 0 not modified, 2 added, 0 updated, 0 removed, 0 skipped, 0 errors \(5 requests, \d+ embedded, \d+\.\d s\)$/);
    expect(lines[2]).toMatch(/^synced 2 sources in \d+\.\d s -> .*\.loom$/);
    const again = await loom(['sync', '--only', 'site', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).sources).toEqual([expect.objectContaining({ name: 'site', notModified: 2, fetched: 0, embedded: 0, requests: 5 })]);
  });

  it('refuses a bad sources file with file:line:col, exit 1', async () => {
    writeFileSync(join(tmp, 'loom.sources.yaml'), 'version: 1\nsources:\n  - name: site\n    sitemapp: https://example.org/sitemap.xml\n');
    const r = await loom(['sync']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('loom.sources.yaml:3:5: error: source 1 has no kind');
    expect(r.stderr).toContain('did you mean "sitemap"?');
    expect(r.stderr).not.toContain('    at ');
  });

  it('exits 2 naming the source and URL when a source fails, after syncing the others', async () => {
    writeFileSync(join(tmp, 'loom.sources.yaml'), `version: 1\nsources:\n  - name: gone\n    sitemap: ${site.url}/missing-sitemap.xml\n    rate: 0\n  - name: docs\n    path: ./docs\n`);
    const r = await loom(['sync']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`warning: gone: ${site.url}/missing-sitemap.xml: HTTP 404`);
    expect(r.stdout).toMatch(/^docs \(path\): .* 12 added/m);
  });
});
