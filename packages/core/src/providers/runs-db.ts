import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { LoomError } from '../errors.js';

// The run ledger and the call cache share <store>/runs.sqlite: a file apart from the documents
// database, so a long run writing its ledger never holds a lock that blocks an ingest.

const require = createRequire(import.meta.url);
const open = new Map<string, BetterSqlite3.Database>();

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL,
  duration_ms INTEGER, prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
  calls INTEGER NOT NULL DEFAULT 0, cached_calls INTEGER NOT NULL DEFAULT 0, failed_calls INTEGER NOT NULL DEFAULT 0, estimated INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0, cost_known INTEGER NOT NULL DEFAULT 1, not_run TEXT, error TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS run_steps (
  run_id TEXT NOT NULL, step TEXT NOT NULL, kind TEXT, status TEXT NOT NULL, duration_ms INTEGER,
  items INTEGER NOT NULL DEFAULT 0, error_code TEXT, error TEXT, warnings INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS model_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step TEXT NOT NULL, model TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, estimated INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL, cost_usd REAL, cached INTEGER NOT NULL, at TEXT NOT NULL,
  error_code TEXT, error TEXT
);
CREATE INDEX IF NOT EXISTS model_calls_run ON model_calls(run_id);
CREATE TABLE IF NOT EXISTS call_cache (
  key TEXT PRIMARY KEY, model TEXT NOT NULL, text TEXT NOT NULL, prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL, estimated INTEGER NOT NULL, created_at TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0
);
`;

export function runsDbPath(storeDir: string): string {
  return join(resolve(storeDir), 'runs.sqlite');
}

/** One connection per store dir for the life of the process (better-sqlite3 is synchronous). */
export function openRunsDb(storeDir: string, options: { create?: boolean } = {}): BetterSqlite3.Database | undefined {
  const file = runsDbPath(storeDir);
  const cached = open.get(file);
  if (cached?.open) return cached;
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  try {
    if (options.create !== false) mkdirSync(resolve(storeDir), { recursive: true });
    const db = new Database(file, { fileMustExist: options.create === false });
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    migrate(db);
    open.set(file, db);
    return db;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (options.create === false && code === 'SQLITE_CANTOPEN') return undefined;
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
      throw new LoomError('STORE_CORRUPT', `${file} is not a valid SQLite database`, { file, cause: error, hint: 'move it away; it only holds the run ledger and the call cache' });
    }
    throw new LoomError('STORE_IO', `cannot open ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

/** Columns added after the first release, added in place to older ledgers. */
function migrate(db: BetterSqlite3.Database): void {
  const columns = (db.prepare('PRAGMA table_info(model_calls)').all() as { name: string }[]).map((c) => c.name);
  // the queue worker (host:pid) that made the call; null in process
  if (!columns.includes('worker')) db.exec('ALTER TABLE model_calls ADD COLUMN worker TEXT');
}

/** Closes the connections (tests; a process exiting closes them anyway). */
export function closeRunsDb(storeDir?: string): void {
  for (const [file, db] of open) {
    if (storeDir && file !== runsDbPath(storeDir)) continue;
    if (db.open) db.close();
    open.delete(file);
  }
}
