import { LoomError } from '../../errors.js';

/** Whether a --store / LOOM_STORE value names a PostgreSQL store rather than a folder. */
export function isPostgresUrl(value: string | undefined): boolean {
  return !!value && /^postgres(ql)?:\/\//i.test(value.trim());
}

/** The URL with its password replaced, for messages and `store info` (never print a password). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

export interface PgLocation {
  /** the URL the driver connects with (our own parameters removed) */
  connectionString: string;
  /** the URL as shown to users, password redacted */
  display: string;
  /** the PostgreSQL schema holding this store's tables (several stores can share a database) */
  schema: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads a store URL: postgres://user[:password]@host[:port]/db[?schema=name&…]. `schema`
 * (default `loom`) is ours; every other parameter goes to the driver (sslmode, options, …).
 */
export function parsePgLocation(url: string): PgLocation {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new LoomError('USAGE', `${redactUrl(url)} is not a valid PostgreSQL URL`, { hint: 'use postgres://user@host:5432/database (add ?schema=name to keep several stores in one database)' });
  }
  const schema = (u.searchParams.get('schema') ?? 'loom').toLowerCase();
  if (!SCHEMA_NAME.test(schema)) {
    throw new LoomError('USAGE', `schema "${schema}" in ${redactUrl(url)} is not a plain SQL name`, { hint: 'use letters, digits and underscores, starting with a letter' });
  }
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), display: redactUrl(url), schema };
}
