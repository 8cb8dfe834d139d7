import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { LoomError, isLoomError } from '../errors.js';

const DB = 'loom.db';

/**
 * SQLite and file-system failures in a store as LoomErrors that name the store and say what
 * to do: a full disk, a read-only folder, a damaged database. Anything else passes through.
 */
export function storeError(error: unknown, dir: string): unknown {
  if (isLoomError(error)) return error;
  const e = error as { code?: string; message?: string };
  const code = String(e?.code ?? '');
  const why = String(e?.message ?? error).split('\n')[0];
  const file = join(dir, DB);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || /SQLITE_IOERR_WRITE|SQLITE_IOERR_FSYNC/.test(code) && /full/i.test(why)) {
    return new LoomError('STORE_IO', `the disk holding the store ${dir} is full (${why})`, {
      file: dir, cause: error,
      hint: 'free some space and run the command again; what was written before the disk filled up is kept and consistent',
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new LoomError('STORE_CORRUPT', `${file} is damaged (${why})`, {
      file, cause: error,
      hint: `restore the store folder from a backup, or move ${dir} away and run loom ingest again (the store holds only an index of your documents)`,
    });
  }
  if (code === 'EROFS' || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'EACCES' || code === 'EPERM') {
    if (!writable(dir)) {
      return new LoomError('STORE_IO', `the store folder ${dir} is read-only (${why})`, {
        file: dir, cause: error,
        hint: 'SQLite needs to write beside loom.db even to read it (its -shm file): copy the store to a writable folder and pass that with --store',
      });
    }
    return new LoomError('STORE_IO', `cannot use the store ${dir} (${why})`, { file: dir, cause: error, hint: 'check the permissions and free space of the store folder' });
  }
  return error;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` and rethrows what it throws through `storeError`. */
export function withStoreErrors<T>(dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw storeError(error, dir);
  }
}
