import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../packages/core/src/ingest/index.js';
import { openStore, sqliteOf } from '../../packages/core/src/store/index.js';
import { openPgStore } from '../../packages/core/src/store/pg/store.js';
import { PG_SCHEMA_VERSION } from '../../packages/core/src/store/pg/schema.js';
import { startPgServer, startRelay, storeUrl, type PgTestServer } from './server.js';
import { writeCorpus } from '../crash/corpus.js';
import { loom } from '../helpers/loom-cli.js';
import { PgConnection } from '../../packages/core/src/store/pg/connect.js';
import { parsePgLocation } from '../../packages/core/src/store/pg/url.js';

/*
 * The PostgreSQL store against the SQLite store on the same documents, over the real `pg` driver
 * and the real SQL (PGlite + pgvector over the wire protocol, or LOOM_TEST_PG_URL).
 */
const root = join(import.meta.dirname, '../..');
const docs = join(root, 'examples/community-docs');
const questions = readFileSync(join(root, 'examples/eval/questions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; query: string });

let server: PgTestServer;
let work: string;

beforeAll(async () => {
  server = await startPgServer();
  work = mkdtempSync(join(tmpdir(), 'loom-pg-'));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const pages = (hits: { source: string }[]) => [...new Set(hits.map((h) => h.source))].sort();

describe('PostgreSQL store', () => {
  it('finds the same pages in the same top 5 as the SQLite store for every example question', async () => {
    const url = storeUrl(server.url, 'parity');
    const dir = join(work, 'parity');
    // the learned space is kept by directory stores only (docs/text.md): compare the backends without it
    const [a, b] = [await ingest({ paths: [docs], store: dir, learn: false }), await ingest({ paths: [docs], store: url })];
    expect(b.chunks).toBe(a.chunks);
    const sqlite = await openStore(dir);
    const pg = await openPgStore(url);
    try {
      const [si, pi] = [await sqlite.info(), await pg.info()];
      expect(pi).toMatchObject({ backend: 'postgres', sources: si.sources, chunks: si.chunks, languages: si.languages, schemaVersion: PG_SCHEMA_VERSION });
      expect(await pg.check()).toMatchObject({ ok: true, problems: [] });
      for (const mode of ['hybrid', 'vector'] as const) {
        const differ: string[] = [];
        for (const q of questions) {
          const [s, p] = [await sqlite.search(q.query, { k: 5, mode }), await pg.search(q.query, { k: 5, mode })];
          expect(p.length, `${mode} ${q.id}`).toBe(s.length);
          if (pages(s).join() !== pages(p).join()) differ.push(`${mode} ${q.id}: sqlite ${pages(s)} / postgres ${pages(p)}`);
        }
        expect(differ).toEqual([]);
      }
      // the CLI reaches the same store by URL: --store and LOOM_STORE
      const q = questions[0].query;
      const cli = await loom(['search', q, '-k', '5', '--json', '--store', url], { cwd: work, timeoutMs: 120_000 });
      expect(cli.code, cli.stderr).toBe(0);
      expect(pages(JSON.parse(cli.stdout))).toEqual(pages(await pg.search(q, { k: 5 })));
      const check = await loom(['store', 'check'], { cwd: work, env: { LOOM_STORE: url }, timeoutMs: 120_000 });
      expect(check.code, check.stderr).toBe(0);
      const info = await loom(['store', 'info', '--json', '--store', url], { cwd: work, timeoutMs: 120_000 });
      expect(JSON.parse(info.stdout)).toMatchObject({ backend: 'postgres', chunks: si.chunks });
      // filters compile to PostgreSQL with the same meaning
      for (const filter of [{ lang: 'zh' }, { source: 'en/guide/**' }, { source: '!en/**' }]) {
        const q = 'retry backoff 重试';
        expect(pages(await pg.search(q, { k: 10, filter, mode: 'vector' }))).toEqual(pages(await sqlite.search(q, { k: 10, filter, mode: 'vector' })));
      }
    } finally {
      sqlite.close();
      await pg.close();
    }
  }, 300_000);

  it('follows edits, renames and deletions as the SQLite store does, re-embedding only what changed', async () => {
    const url = storeUrl(server.url, 'sync');
    const src = join(work, 'sync-docs');
    cpSync(join(docs, 'en/guide'), src, { recursive: true });
    const dir = join(work, 'sync-sqlite');
    const both = async () => [await ingest({ paths: [src], store: dir, prune: true, learn: false }), await ingest({ paths: [src], store: url, prune: true })];
    await both();
    const again = await both();
    expect(again[1]).toMatchObject({ added: 0, updated: 0, embedded: 0, unchanged: again[0].unchanged });
    writeFileSync(join(src, 'feeds.md'), readFileSync(join(src, 'feeds.md'), 'utf8') + '\n\n## Appended\n\nA new paragraph about kelp forests.\n');
    renameSync(join(src, 'digests.md'), join(src, 'digests-renamed.md'));
    unlinkSync(join(src, 'search.md'));
    const [s, p] = await both();
    expect(p).toMatchObject({ updated: 1, renamed: 1, removed: 1 });
    expect({ ...p, seconds: 0 }).toEqual({ ...s, seconds: 0 });
    const pg = await openPgStore(url);
    try {
      expect(await pg.check()).toMatchObject({ ok: true });
      expect(pages(await pg.search('kelp forests', { k: 3, mode: 'lexical' }))[0]).toBe('feeds.md');
      const sqlite = await openStore(dir);
      expect((await pg.info()).sources).toBe((await sqlite.info()).sources);
      sqlite.close();
    } finally {
      await pg.close();
    }
  }, 300_000);

  it('migrates a new schema once, refuses a newer one and a missing store', async () => {
    const url = storeUrl(server.url, 'migrate');
    await expect(openPgStore(url)).rejects.toMatchObject({ code: 'STORE_NOT_FOUND' });
    const created = await openPgStore(url, { create: true });
    const applied = await created.db.query<{ version: number }>('SELECT version FROM {s}.migrations ORDER BY version');
    expect(applied.map((r) => r.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
    await created.close();
    const reopened = await openPgStore(url, { create: true });
    expect((await reopened.db.query('SELECT version FROM {s}.migrations')).length).toBe(PG_SCHEMA_VERSION);
    await reopened.db.query('INSERT INTO {s}.migrations(version) VALUES (99)');
    await reopened.close();
    await expect(openPgStore(url)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  }, 120_000);

  it('a connection dropped mid-ingest: STORE_UNAVAILABLE, every committed document whole, the next ingest resumes', async () => {
    const corpus = join(work, 'drop-corpus');
    writeCorpus(corpus, 150, 15);
    const dir = join(work, 'drop-sqlite');
    await ingest({ paths: [corpus], store: dir, learn: false });
    const sqlite = await openStore(dir);
    const want = new Map((sqliteOf(sqlite).db.db.prepare('SELECT s.name AS name, count(*) AS n FROM chunks c JOIN sources s ON s.id = c.source_id GROUP BY s.name').all() as { name: string; n: number }[]).map((r) => [r.name, r.n]));
    const total = (await sqlite.info()).chunks;
    sqlite.close();

    const direct = storeUrl(server.url, 'drop');
    const relay = await startRelay(direct);
    const watch = await PgConnection.open(parsePgLocation(direct));
    const stored = async () => new Map((await watch.query<{ name: string; n: string }>('SELECT s.name, count(*)::text AS n FROM {s}.chunks c JOIN {s}.sources s ON s.id = c.source_id GROUP BY s.name').catch(() => [])).map((r) => [r.name, Number(r.n)]));
    try {
      const running = ingest({ paths: [corpus], store: relay.url }).then(() => null, (e: unknown) => e);
      let seen = 0;
      while (seen < 20) seen = (await stored()).size; // cut once 20 documents are committed
      relay.cut();
      const error = await running;
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const partial = await stored();
      expect(partial.size).toBeGreaterThanOrEqual(20);
      expect(partial.size).toBeLessThan(want.size);
      for (const [name, n] of partial) expect(n, name).toBe(want.get(name)); // no document half-written

      const resumed = await ingest({ paths: [corpus], store: direct });
      expect(resumed).toMatchObject({ added: want.size - partial.size, unchanged: partial.size });
      expect(resumed.embedded).toBeLessThan(total);
      expect(await stored()).toEqual(want);
      const pg = await openPgStore(direct);
      expect(await pg.check()).toMatchObject({ ok: true });
      await pg.close();
    } finally {
      await watch.close();
      await relay.stop();
    }
  }, 300_000);
});
