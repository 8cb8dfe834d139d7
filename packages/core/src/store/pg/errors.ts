import { LoomError, isLoomError } from '../../errors.js';

interface DriverError {
  code?: string;
  message?: string;
  routine?: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/** The hint for a server whose PostgreSQL lacks pgvector (docs/scale.md has the details). */
export const PGVECTOR_HINT =
  'install pgvector on the server (Debian/Ubuntu: apt install postgresql-NN-pgvector; macOS: brew install pgvector; Docker: the pgvector/pgvector image) and, as a superuser, run CREATE EXTENSION vector in this database; see docs/scale.md';

/**
 * Driver and server failures as LoomErrors naming the store by its redacted URL, with what to do:
 * unreachable or dropped connections, authentication, timeouts, a missing pgvector. Anything
 * else passes through (a bug in our SQL should show as one).
 */
export function pgError(error: unknown, display: string): unknown {
  if (isLoomError(error)) return error;
  const e = (error ?? {}) as DriverError;
  const code = String(e.code ?? '');
  const why = String(e.message ?? error).split('\n')[0];
  if (code === '28P01' || code === '28000') {
    return new LoomError('STORE_AUTH', `PostgreSQL refused the login to ${display} (${code === '28P01' ? 'wrong password or user' : 'not allowed by pg_hba.conf'})`, {
      cause: error, hint: 'check the user and password in the URL (or PGPASSWORD / ~/.pgpass), and that this user may connect to the database',
    });
  }
  if (code === '57014') {
    return new LoomError('STORE_TIMEOUT', `a query on ${display} ran past its statement timeout (${why})`, {
      cause: error, retryable: true,
      hint: 'raise it with LOOM_PG_STATEMENT_TIMEOUT=ms (0 = none), or look for a slow server; nothing half-written was kept',
    });
  }
  if (code === '3D000') {
    return new LoomError('STORE_NOT_FOUND', `database in ${display} does not exist (${why})`, { cause: error, hint: 'create it first (createdb NAME), or fix the database name in the URL' });
  }
  if ((code === '0A000' || code === '58P01' || code === '42704') && /vector/.test(why)) {
    return new LoomError('STORE_EXTENSION_MISSING', `the PostgreSQL server at ${display} has no pgvector extension (${why})`, { cause: error, hint: PGVECTOR_HINT });
  }
  if (UNREACHABLE.has(code) || /Connection terminated|connection (?:is )?closed|Client has encountered a connection error|timeout expired/i.test(why)) {
    return new LoomError('STORE_UNAVAILABLE', `lost or could not open the connection to ${display} (${code || why})`, {
      cause: error, retryable: true,
      hint: 'check that the server runs and the URL is right; run the command again: documents are written one transaction each, so an interrupted ingest resumes where it stopped',
    });
  }
  return error;
}
