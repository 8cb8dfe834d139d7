import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, loomInTerminal } from '../../../test/helpers/loom-cli.js';

// The suite's other CLI tests run without a terminal, where no progress bar is drawn. A bar's
// redraw timer keeps Node alive, so a bar left running hangs the command after its summary:
// these tests run the CLI under a real pseudo-terminal and require it to exit by itself.
const fixture = resolve(REPO, 'packages/core/test/fixtures/docs');
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'loom-cli-tty-'));
  cpSync(fixture, join(tmp, 'docs'), { recursive: true });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('on a terminal', () => {
  it('loom ingest draws its bar, prints the summary and exits 0 (fresh store, then an unchanged one)', { timeout: 150_000 }, async () => {
    const first = await loomInTerminal(['ingest', 'docs', '--store', 'st'], { cwd: tmp, timeoutMs: 60_000 });
    expect(first.timedOut).toBe(false);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('files ['); // it really was a terminal: the bar was drawn
    expect(first.stdout).toMatch(/ingested 10 files: 12 added, 0 updated, 0 unchanged, 0 removed; 26 chunks/);
    const second = await loomInTerminal(['ingest', 'docs', '--store', 'st'], { cwd: tmp, timeoutMs: 60_000 });
    expect(second.timedOut).toBe(false);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/ingested 10 files: 0 added, 0 updated, 12 unchanged/);
  });

  it('loom store rebuild and a failing ingest exit too', { timeout: 200_000 }, async () => {
    expect((await loomInTerminal(['ingest', 'docs', '--store', 'st'], { cwd: tmp, timeoutMs: 60_000 })).code).toBe(0);
    const rebuilt = await loomInTerminal(['store', 'rebuild', '--store', 'st'], { cwd: tmp, timeoutMs: 60_000 });
    expect(rebuilt.timedOut).toBe(false);
    expect(rebuilt.code).toBe(0);
    const failed = await loomInTerminal(['ingest', 'nope', '--store', 'st'], { cwd: tmp, timeoutMs: 60_000 });
    expect(failed.timedOut).toBe(false);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('error: nope: no such file or folder');
  });
});
