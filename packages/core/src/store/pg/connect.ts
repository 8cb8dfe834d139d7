import { hostname } from 'node:os';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { pgError } from './errors.js';
import type { PgLocation } from './url.js';

/** Default per-statement limit: a stuck query fails with STORE_TIMEOUT instead of hanging a CLI. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 120_000;

/** A query runner: the pool, or one client inside a transaction. */
export interface Sql {
  /** `{s}` in the text stands for this store's quoted schema */
  query<T extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
}

/**
 * One pooled connection to a store's database. All SQL of the PostgreSQL store runs through
 * here: tables are always schema-qualified (`{s}.chunks`), never found via search_path, because
 * a session setting would leak between stores that share a server (and PGlite's socket server
 * shares one session among all its connections).
 */
export class PgConnection implements Sql {
  private constructor(readonly pool: Pool, readonly loc: PgLocation) {}

  static async open(loc: PgLocation, env: Record<string, string | undefined> = process.env): Promise<PgConnection> {
    const { default: pg } = await import('pg');
    const timeout = Number(env.LOOM_PG_STATEMENT_TIMEOUT ?? DEFAULT_STATEMENT_TIMEOUT_MS);
    const pool = new pg.Pool({
      connectionString: loc.connectionString,
      max: 4,
      application_name: `loom (pid ${process.pid} on ${hostname()})`,
      connectionTimeoutMillis: 15_000,
      ...(timeout > 0 ? { statement_timeout: timeout } : {}),
    });
    // an idle connection the server drops must not crash the process; the next query reports it
    pool.on('error', () => {});
    // …nor one dropped while checked out (a transaction, the writer lock's session): its next
    // query reports it, and the server has rolled back and released the lock with the session
    pool.on('connect', (client) => client.on('error', () => {}));
    const conn = new PgConnection(pool, loc);
    await conn.query('SELECT 1');
    return conn;
  }

  get schema(): string {
    return `"${this.loc.schema}"`;
  }

  sql(text: string): string {
    return text.replaceAll('{s}', this.schema);
  }

  async query<T extends QueryResultRow = QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query<T>(this.sql(text), params)).rows;
    } catch (error) {
      throw pgError(error, this.loc.display);
    }
  }

  /** Runs `fn` in one transaction: all of it commits, or none of it (a dropped connection rolls back). */
  async tx<T>(fn: (sql: Sql, client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw pgError(error, this.loc.display);
    }
    const sql: Sql = {
      query: async <R extends QueryResultRow>(text: string, params: unknown[] = []) => {
        try {
          return (await client.query<R>(this.sql(text), params)).rows;
        } catch (error) {
          throw pgError(error, this.loc.display);
        }
      },
    };
    let broken = false;
    try {
      await sql.query('BEGIN');
      const out = await fn(sql, client);
      await sql.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => { broken = true; });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
