import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { LoomError } from '../errors.js';
import { storeError } from './errors.js';

interface LockInfo {
  pid: number;
  host: string;
  since: number;
  what: string;
}

export interface StoreLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string, what: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now(), what } satisfies LockInfo));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    const mapped = storeError(error, dirname(file));
    if (mapped !== error) throw mapped;
    throw new LoomError('STORE_IO', `cannot create lock file ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

/** A lock left by a process on this host that no longer runs (e.g. killed with -9) is taken over. */
function isStale(info: LockInfo | undefined): boolean {
  if (!info) return true; // half-written by a process killed while creating it
  return info.host === hostname() && info.pid !== process.pid && !alive(info.pid);
}

export function tryLock(dir: string, what: string): StoreLock | undefined {
  const file = join(dir, 'store.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file, what)) return { release: () => releaseLock(file) };
    const info = readLock(file);
    if (!isStale(info)) return undefined;
    try { unlinkSync(file); } catch { /* someone else took it over first */ }
  }
  return undefined;
}

function releaseLock(file: string): void {
  if (readLock(file)?.pid !== process.pid) return;
  try { unlinkSync(file); } catch { /* already gone */ }
}

/**
 * The writer lock of a store: one ingest (or rebuild, compact, LangChain write) at a time.
 * Waits up to `waitMs`, then fails with STORE_LOCKED naming the holder. Searches never lock.
 */
export async function acquireLock(dir: string, what: string, waitMs = 3000): Promise<StoreLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = tryLock(dir, what);
    if (lock) return lock;
    if (Date.now() >= deadline) {
      const info = readLock(join(dir, 'store.lock'));
      const age = info ? `${info.what}, started ${Math.round((Date.now() - info.since) / 1000)}s ago${info.host !== hostname() ? ` on ${info.host}` : ''}` : 'unknown';
      throw new LoomError('STORE_LOCKED', `store is locked by pid ${info?.pid ?? '?'} (${age})`, {
        hint: `wait for it to finish; if no such process runs, delete ${join(dir, 'store.lock')}`,
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
