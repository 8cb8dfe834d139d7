import Database from 'better-sqlite3';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LoomError } from '../errors.js';
import { storeError } from './errors.js';

/**
 * One writer per store. The lock itself is a kernel lock: an exclusive SQLite transaction held
 * open on `store.lock.db` (SQLite locks with fcntl, and the kernel drops the lock the moment its
 * process exits, -9 included). Nothing has to guess whether a holder is dead, so there is no
 * stale-lock takeover for two processes to race through. `store.lock` only says who holds it
 * (pid, host, since, what), for the STORE_LOCKED message; it is written to a temp file and
 * renamed into place, so a reader never sees it half-written.
 */
const KERNEL_LOCK = 'store.lock.db';
const INFO = 'store.lock';

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

/** The exclusive transaction on the lock database, or undefined when another connection holds it. */
function holdKernelLock(dir: string): Database.Database | undefined {
  let db: Database.Database | undefined;
  try {
    // timeout 0: a held lock answers SQLITE_BUSY at once; waiting is acquireLock's job
    db = new Database(join(dir, KERNEL_LOCK), { timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (error) {
    db?.close();
    if (String((error as { code?: string }).code ?? '').startsWith('SQLITE_BUSY')) return undefined;
    const mapped = storeError(error, dir);
    if (mapped !== error) throw mapped;
    throw new LoomError('STORE_IO', `cannot create the lock of store ${dir}: ${(error as Error).message}`, { file: join(dir, KERNEL_LOCK), cause: error });
  }
}

/**
 * A `store.lock` naming a live process on this host while nobody holds the kernel lock was
 * written by a promptloom from before kernel locks (or by hand): it still counts as held.
 */
function heldByPidFile(info: LockInfo | undefined): boolean {
  return !!info && info.host === hostname() && info.pid !== process.pid && alive(info.pid);
}

function writeInfo(file: string, what: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now(), what } satisfies LockInfo));
  renameSync(tmp, file);
}

/** The writer lock if it is free now, else undefined (never waits). */
export function tryLock(dir: string, what: string): StoreLock | undefined {
  const db = holdKernelLock(dir);
  if (!db) return undefined;
  const file = join(dir, INFO);
  try {
    if (heldByPidFile(readLock(file))) {
      db.close();
      return undefined;
    }
    writeInfo(file, what);
  } catch (error) {
    db.close();
    throw storeError(error, dir);
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      // the info goes first: whoever takes the lock next writes its own
      if (readLock(file)?.pid === process.pid) {
        try { unlinkSync(file); } catch { /* already gone */ }
      }
      db.close(); // closing ends the transaction and drops the kernel lock
    },
  };
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
      const info = readLock(join(dir, INFO));
      const age = info ? `${info.what}, started ${Math.round((Date.now() - info.since) / 1000)}s ago${info.host !== hostname() ? ` on ${info.host}` : ''}` : 'unknown';
      throw new LoomError('STORE_LOCKED', `store is locked by pid ${info?.pid ?? '?'} (${age})`, {
        hint: `wait for it to finish; if no such process runs, delete ${join(dir, INFO)}`,
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
