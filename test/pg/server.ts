import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';

/*
 * PostgreSQL for the store's tests. With LOOM_TEST_PG_URL, a real server with pgvector; else
 * PGlite (PostgreSQL compiled to WebAssembly) with its pgvector build, served over the wire
 * protocol by @electric-sql/pglite-socket on 127.0.0.1 at a free port, so the real `pg` driver
 * and the real SQL run. PGlite runs one session that its socket server shares among clients:
 * advisory locks and statement timeouts cannot be seen there, so those tests use `plainServer`.
 */

export interface PgTestServer {
  url: string;
  kind: 'pglite' | 'external';
  stop(): Promise<void>;
}

const coreDir = join(import.meta.dirname, '../../packages/core');
const require = createRequire(join(coreDir, 'package.json'));

/** Starts PGlite's socket server (or takes LOOM_TEST_PG_URL). CI=true: failing to start fails. */
export async function startPgServer(): Promise<PgTestServer> {
  if (process.env.LOOM_TEST_PG_URL) return { url: process.env.LOOM_TEST_PG_URL, kind: 'external', stop: async () => {} };
  const script = join(dirname(require.resolve('@electric-sql/pglite-socket')), 'scripts/server.js');
  const child = spawn(process.execPath, [script, '--host=127.0.0.1', '--port=0', '--max-connections=16', '--extensions=@electric-sql/pglite-pgvector:vector'], {
    cwd: coreDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]).port);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`pglite-server exited (${code}) before listening:\n${out}`)));
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, kind: 'pglite', stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

/** The machine's plain PostgreSQL (no pgvector) for lock, timeout and no-extension tests. */
export const PLAIN_PG_URL = process.env.LOOM_TEST_PLAIN_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Whether the plain server answers. CI=true: it must (a failure, not a skip); elsewhere a
 * missing server skips loudly, saying how to start one.
 */
export async function plainServerUp(): Promise<boolean> {
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: PLAIN_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL at ${PLAIN_PG_URL} does not answer (${(error as Error).message})`);
    console.warn(`\n*** SKIPPED: PostgreSQL at ${PLAIN_PG_URL} does not answer (${(error as Error).message}).\n*** Start one (e.g. docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15) or set LOOM_TEST_PLAIN_PG_URL.\n`);
    return false;
  }
}

/**
 * A TCP relay in front of a server whose connections the test can cut at once, as a network
 * failure or a server restart would: the client sees its socket close mid-conversation.
 */
export async function startRelay(target: string): Promise<{ url: string; cut(): void; stop(): Promise<void>; connections(): number }> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let total = 0;
  const server: Server = createServer((client) => {
    total++;
    const upstream = createConnection({ host: t.hostname, port: Number(t.port || 5432) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    cut: () => { for (const s of sockets) s.destroy(); },
    connections: () => total,
    stop: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A unique store URL (its own schema) on a server. */
export function storeUrl(server: string, name: string): string {
  const u = new URL(server);
  u.searchParams.set('schema', `${name}_${process.pid}_${Date.now() % 1e8}`);
  return u.toString();
}
