import { hostname } from 'node:os';
import type { PoolClient } from 'pg';
import { LoomError } from '../../errors.js';
import type { StoreLock } from '../lock.js';
import type { PgConnection } from './connect.js';
import { pgError } from './errors.js';

/** pg_locks shows a two-key advisory lock as (classid, objid): ours is ('loom', the store's schema). */
export const LOCK_CLASS = 0x6c6f6f6d;

/** The advisory-lock key of one store (its schema) for one purpose. */
export function storeLockId(schema: string, purpose: 'write' | 'migrate' = 'write'): number {
  let h = 0x811c9dc5;
  for (const ch of `promptloom:${purpose}:${schema}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h & 0x7fffffff;
}

/** Who holds the store's writer lock, from the server's own view of sessions. */
async function holder(db: PgConnection, id: number): Promise<string> {
  const rows = await db.query<{ app: string | null; addr: string | null; since: string | null }>(
    `SELECT a.application_name AS app, a.client_addr::text AS addr, (now() - a.state_change)::text AS since
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid AND l.objsubid = 2`,
    [LOCK_CLASS, id],
  ).catch(() => []);
  const r = rows[0];
  if (!r) return 'another session';
  return `${r.app || 'a session'}${r.addr ? ` from ${r.addr}` : ''}`;
}

/**
 * The writer lock of a PostgreSQL store: a session-level advisory lock held on its own
 * connection for the whole ingest, sync or maintenance run. One writer at a time per store
 * (database + schema); a second one waits up to `waitMs`, then fails with STORE_LOCKED naming
 * the holder. Searches take no lock (MVCC: readers never block, nor are blocked). The server
 * releases the lock when the holder's connection ends, so a killed writer never leaves it behind.
 */
export async function acquirePgLock(db: PgConnection, what: string, waitMs = 3000): Promise<StoreLock> {
  const id = storeLockId(db.loc.schema);
  let client: PoolClient;
  try {
    client = await db.pool.connect();
  } catch (error) {
    throw pgError(error, db.loc.display);
  }
  const deadline = Date.now() + waitMs;
  try {
    await client.query('SELECT set_config($1, $2, false)', ['application_name', `loom: ${what} (pid ${process.pid} on ${hostname()})`.slice(0, 63)]);
    for (;;) {
      const [row] = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS, id])).rows;
      if (row.ok) break;
      if (Date.now() >= deadline) {
        throw new LoomError('STORE_LOCKED', `store ${db.loc.display} is being written by ${await holder(db, id)}`, {
          hint: 'wait for it to finish (the lock goes with its connection, so a killed writer frees it at once)',
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    client.release();
    throw pgError(error, db.loc.display);
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      // unlocking can fail only with a dead connection, whose end released the lock already
      void client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, id]).then(() => client.release(), () => client.release(true));
    },
  };
}
