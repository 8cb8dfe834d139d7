import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { acquireLock, tryLock } from './lock.js';

const DIST_LOCK = fileURLToPath(new URL('../../dist/store/lock.js', import.meta.url));

let dir: string;
beforeEach(() => {
  if (!existsSync(DIST_LOCK)) throw new Error(`${DIST_LOCK} is missing: run \`corepack pnpm build\` before the tests`);
  dir = mkdtempSync(join(tmpdir(), 'loom-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that ran on this host and no longer does. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/**
 * A child that waits for `go`, tries the lock once, prints HELD or BUSY, and (if it holds the
 * lock) keeps it until its stdin closes.
 */
function contender(go: string): ChildProcess {
  const script = `
    const { existsSync } = await import('node:fs');
    const { tryLock } = await import(${JSON.stringify(DIST_LOCK)});
    while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
    const lock = tryLock(${JSON.stringify(dir)}, 'race');
    process.stdout.write(lock ? 'HELD\\n' : 'BUSY\\n');
    process.stdin.resume();
    process.stdin.on('end', () => { lock?.release(); process.exit(0); });`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
}

function answer(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`contender exited (${code}) without answering`)));
  });
}

describe('writer lock', () => {
  it('eight processes taking over one stale lock at once: exactly one holds it (3 rounds)', async () => {
    for (let round = 0; round < 3; round++) {
      writeFileSync(join(dir, 'store.lock'), JSON.stringify({ pid: deadPid(), host: hostname(), since: Date.now() - 60_000, what: 'killed ingest' }));
      const go = join(dir, `go-${round}`);
      const children = Array.from({ length: 8 }, () => contender(go));
      // every child is running and polling before the start
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(go, '');
      const answers = await Promise.all(children.map(answer));
      for (const c of children) c.stdin!.end();
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
      expect(answers.filter((a) => a === 'HELD')).toHaveLength(1);
      expect(answers.filter((a) => a === 'BUSY')).toHaveLength(7);
    }
  }, 120_000);

  it('a lock whose holder was killed with -9 is free at once; a live holder is named', async () => {
    const go = join(dir, 'go');
    writeFileSync(go, '');
    const holder = contender(go);
    expect(await answer(holder)).toBe('HELD');
    const err = await acquireLock(dir, 'second', 0).catch((e) => e);
    expect(err).toMatchObject({ code: 'STORE_LOCKED', message: expect.stringMatching(new RegExp(`^store is locked by pid ${holder.pid} \\(race, started \\d+s ago\\)`)) });
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const lock = tryLock(dir, 'after the kill');
    expect(lock).toBeDefined();
    lock!.release();
  });

  it('a holder whose lock file reads empty (the moment a non-atomic writer has created but not yet filled it) keeps its lock', async () => {
    const go = join(dir, 'go');
    writeFileSync(go, '');
    const holder = contender(go);
    expect(await answer(holder)).toBe('HELD');
    // what a second process saw in that window: the file exists without a pid
    writeFileSync(join(dir, 'store.lock'), '');
    const other = contender(go);
    expect(await answer(other)).toBe('BUSY');
    other.stdin!.end();
    holder.stdin!.end();
    await Promise.all([holder, other].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  });

  it('a second writer in the same process is refused while the first holds the lock', () => {
    const first = tryLock(dir, 'first');
    expect(first).toBeDefined();
    expect(tryLock(dir, 'second')).toBeUndefined();
    first!.release();
    const third = tryLock(dir, 'third');
    expect(third).toBeDefined();
    third!.release();
  });
});
