import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../packages/core/src/errors.js';
import { PgConnection } from '../../packages/core/src/store/pg/connect.js';
import { acquirePgLock } from '../../packages/core/src/store/pg/lock.js';
import { openPgStore } from '../../packages/core/src/store/pg/store.js';
import { parsePgLocation } from '../../packages/core/src/store/pg/url.js';
import { PLAIN_PG_URL, plainServerUp, storeUrl } from './server.js';

/*
 * Faults of the PostgreSQL store that need a real server's sessions (advisory locks, statement
 * timeouts: PGlite shares one session among clients) or a server without pgvector: the machine's
 * plain PostgreSQL. A wrong password needs a server that asks for one: a minimal wire-protocol
 * server that requests a cleartext password and refuses it as PostgreSQL does (SQLSTATE 28P01).
 */
let up = false;
beforeAll(async () => { up = await plainServerUp(); });

describe('PostgreSQL store faults on a real server', () => {
  it('one writer at a time: concurrent writers queue on the advisory lock, a writer that cannot wait is told who holds it', async (ctx) => {
    if (!up) return ctx.skip();
    const loc = parsePgLocation(storeUrl(PLAIN_PG_URL, 'lock'));
    const conns = await Promise.all(Array.from({ length: 4 }, () => PgConnection.open(loc)));
    try {
      let inside = 0;
      let most = 0;
      let turns = 0;
      await Promise.all(conns.map(async (c, i) => {
        const lock = await acquirePgLock(c, `writer ${i}`, 60_000);
        inside++;
        most = Math.max(most, inside);
        // a few round trips while holding it: the others are polling meanwhile
        for (let q = 0; q < 5; q++) await c.query('SELECT 1');
        turns++;
        inside--;
        await lock.release();
      }));
      expect({ most, turns }).toEqual({ most: 1, turns: 4 });

      const held = await acquirePgLock(conns[0], 'loom ingest docs', 0);
      const refused = await acquirePgLock(conns[1], 'second', 0).then(() => null, (e: unknown) => e);
      expect(refused).toMatchObject({ code: 'STORE_LOCKED' });
      expect((refused as Error).message).toContain('loom: loom ingest docs');
      // readers take no lock
      expect(await conns[2].query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await held.release();
      const next = await acquirePgLock(conns[1], 'second', 10_000);
      await next.release();
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  }, 60_000);

  it('a statement past its timeout fails with STORE_TIMEOUT and says how to raise it', async (ctx) => {
    if (!up) return ctx.skip();
    const conn = await PgConnection.open(parsePgLocation(PLAIN_PG_URL), { LOOM_PG_STATEMENT_TIMEOUT: '50' });
    try {
      const error = await conn.query('SELECT pg_sleep(30)').then(() => null, (e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORE_TIMEOUT', retryable: true });
      expect((error as { hint: string }).hint).toContain('LOOM_PG_STATEMENT_TIMEOUT');
      expect(await conn.query('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    } finally {
      await conn.close();
    }
  }, 60_000);

  it('a server without pgvector is refused with how to install it', async (ctx) => {
    if (!up) return ctx.skip();
    const probe = await PgConnection.open(parsePgLocation(PLAIN_PG_URL));
    const available = (await probe.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).length > 0;
    await probe.close();
    if (available) {
      console.warn(`*** SKIPPED: ${PLAIN_PG_URL} has pgvector; the no-extension case needs a server without it`);
      return ctx.skip();
    }
    const error = await openPgStore(storeUrl(PLAIN_PG_URL, 'noext'), { create: true }).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_EXTENSION_MISSING' });
    expect((error as { hint: string }).hint).toMatch(/pgvector.*CREATE EXTENSION vector/s);
    expect(exitCodeFor(error)).toBe(1);
  }, 60_000);
});

describe('PostgreSQL login', () => {
  let server: Server;
  const passwords: string[] = [];
  let port = 0;

  beforeAll(async () => {
    server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      let stage = 0;
      sock.on('error', () => {});
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (stage === 0 && buf.length >= 8) {
          if (buf.readInt32BE(4) === 80877103) { sock.write('N'); buf = buf.subarray(8); return; } // no TLS
          if (buf.length < buf.readInt32BE(0)) return;
          buf = Buffer.alloc(0);
          stage = 1;
          const ask = Buffer.alloc(9);
          ask.write('R', 0);
          ask.writeInt32BE(8, 1);
          ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
          sock.write(ask);
        } else if (stage === 1 && buf.length >= 5 && buf.length >= buf.readInt32BE(1) + 1) {
          passwords.push(buf.subarray(5, buf.readInt32BE(1)).toString().replace(/\0$/, ''));
          stage = 2;
          const body = Buffer.from(['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "loom"', ''].join('\0') + '\0');
          const head = Buffer.alloc(5);
          head.write('E', 0);
          head.writeInt32BE(body.length + 4, 1);
          sock.end(Buffer.concat([head, body]));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('a wrong password fails with STORE_AUTH, exit 1, and never shows the password', async () => {
    const secret = 'hunter2-s3cret';
    const error = await openPgStore(`postgres://loom:${secret}@127.0.0.1:${port}/docs`).then(() => null, (e: unknown) => e);
    expect(passwords).toEqual([secret]); // the driver really answered the server's password request
    expect(error).toMatchObject({ code: 'STORE_AUTH' });
    const shown = `${(error as Error).message}\n${(error as { hint: string }).hint}`;
    expect(shown).toContain(`postgres://loom:***@127.0.0.1:${port}/docs`);
    expect(shown).not.toContain(secret);
    expect(exitCodeFor(error)).toBe(1);
  });
});
