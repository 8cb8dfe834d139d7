import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from './index.js';
import { openStore, sqliteOf } from '../store/index.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/docs', import.meta.url));

let tmp: string;
let docs: string;
let store: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'loom-ingest-'));
  docs = join(tmp, 'docs');
  store = join(tmp, 'store');
  cpSync(FIXTURE, docs, { recursive: true });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

async function sourcesIn(dir: string): Promise<string[]> {
  const s = await openStore(dir, { readonly: true });
  try {
    return (sqliteOf(s).db.db.prepare('SELECT name FROM sources ORDER BY name').pluck().all() as string[]);
  } finally {
    s.close();
  }
}

describe('ingest', () => {
  it('reads every format, honours .loomignore and hidden folders, names sources relative to the root', async () => {
    const warnings: string[] = [];
    const summary = await ingest({ paths: [docs], store, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(summary).toMatchObject({ added: 12, updated: 0, unchanged: 0, removed: 0, files: 10 });
    expect(summary.embedded).toBe(summary.chunks);
    const names = await sourcesIn(store);
    expect(names).toEqual([
      'README.md', 'en/api/worker.md', 'en/faq.html', 'en/forum.jsonl#t101', 'en/forum.jsonl#t102', 'en/forum.jsonl#t103',
      'en/guide/getting-started.md', 'en/guide/retries.md', 'en/guide/scheduling.md',
      'zh/guide/getting-started.md', 'zh/guide/rate-limiting.md', 'zh/guide/retries.md',
    ]);
    const s = await openStore(store, { readonly: true });
    const langs = (await s.info()).languages;
    expect(langs.zh).toBeGreaterThan(0);
    expect(langs.en).toBeGreaterThan(0);
    // HTML headings survive as heading paths; JSONL titles head their records
    const faq = await s.search('job stuck in the active state', { k: 3, filter: { source: 'en/faq.html' } });
    expect(faq[0].heading).toContain('Why is my job stuck');
    const forum = await s.search('ECONNREFUSED', { k: 1, mode: 'lexical' });
    expect(forum[0]).toMatchObject({ source: 'en/forum.jsonl#t101', heading: 'Redis connection refused on startup' });
    expect(await s.search('xylophone', { mode: 'lexical' })).toEqual([]);
    expect(await s.search('teleportation zebra', { mode: 'lexical' })).toEqual([]);
    s.close();
  });

  it('embeds nothing the second time', async () => {
    await ingest({ paths: [docs], store });
    const again = await ingest({ paths: [docs], store });
    expect(again).toMatchObject({ added: 0, updated: 0, unchanged: 12, removed: 0, chunks: 0, embedded: 0 });
  });

  it('syncs edits, deletions (--prune) and renames', async () => {
    await ingest({ paths: [docs], store });
    const retries = join(docs, 'en/guide/retries.md');
    const { readFileSync } = await import('node:fs');
    writeFileSync(retries, readFileSync(retries, 'utf8').replace('the default is 3 attempts', 'the default is 4 attempts'));
    unlinkSync(join(docs, 'zh/guide/rate-limiting.md'));
    renameSync(join(docs, 'en/api/worker.md'), join(docs, 'en/api/workers.md'));
    const jsonl = join(docs, 'en/forum.jsonl');
    writeFileSync(jsonl, readFileSync(jsonl, 'utf8').split('\n').filter((l) => !l.includes('t103')).join('\n'));

    const summary = await ingest({ paths: [docs], store, prune: true });
    expect(summary).toMatchObject({ updated: 1, renamed: 1, removed: 2, added: 0 });
    // only the edited chunk is embedded again; the rename costs nothing
    expect(summary.embedded).toBe(1);
    const names = await sourcesIn(store);
    expect(names).toContain('en/api/workers.md');
    expect(names).not.toContain('en/api/worker.md');
    expect(names).not.toContain('zh/guide/rate-limiting.md');
    expect(names).not.toContain('en/forum.jsonl#t103');
    const s = await openStore(store);
    expect((await s.check())).toMatchObject({ ok: true, problems: [] });
    const hit = (await s.search('default is 4 attempts', { k: 1, mode: 'lexical' }))[0];
    expect(hit.source).toBe('en/guide/retries.md');
    expect((await s.search('graceful shutdown SIGTERM', { k: 1 }))[0].source).toBe('en/api/workers.md');
    s.close();
  });

  it('without --prune keeps documents whose files are gone', async () => {
    await ingest({ paths: [docs], store });
    unlinkSync(join(docs, 'zh/guide/rate-limiting.md'));
    const summary = await ingest({ paths: [docs], store });
    expect(summary.removed).toBe(0);
    expect(await sourcesIn(store)).toContain('zh/guide/rate-limiting.md');
  });

  it('skips binary, oversized, unreadable and malformed files with one warning each', async () => {
    const bad = join(tmp, 'bad');
    mkdirSync(join(bad, 'loop'), { recursive: true });
    writeFileSync(join(bad, 'ok.md'), '# Fine\n\nA normal page.');
    writeFileSync(join(bad, 'binary.md'), Buffer.from([0x23, 0x20, 0x41, 0x00, 0x01, 0x02]));
    writeFileSync(join(bad, 'big.txt'), 'word '.repeat(5000));
    writeFileSync(join(bad, 'broken.json'), '{"text": ');
    writeFileSync(join(bad, 'locked.md'), '# Locked\n\nNobody may read this.');
    chmodSync(join(bad, 'locked.md'), 0o000);
    symlinkSync(bad, join(bad, 'loop', 'back')); // a symlink loop must not hang the walk
    const warnings: string[] = [];
    const summary = await ingest({ paths: [bad], store, maxFileBytes: 10_000, onWarning: (w) => warnings.push(w) });
    const root = process.getuid?.() === 0; // root reads mode-000 files
    expect(summary.added).toBe(root ? 2 : 1);
    expect(warnings.find((w) => w.includes('binary.md'))).toMatch(/binary/);
    expect(warnings.find((w) => w.includes('big.txt'))).toMatch(/larger than/);
    expect(warnings.find((w) => w.includes('broken.json'))).toMatch(/invalid JSON/);
    if (!root) expect(warnings.find((w) => w.includes('locked.md'))).toMatch(/unreadable/);
    expect(warnings.length).toBe(root ? 3 : 4);
    chmodSync(join(bad, 'locked.md'), 0o644);
  });

  it('refuses another embedder, and re-embeds everything with --reembed', async () => {
    await ingest({ paths: [docs], store, embedder: 'local:64' });
    await expect(ingest({ paths: [docs], store, embedder: 'local' })).rejects.toMatchObject({ code: 'STORE_EMBEDDER_MISMATCH' });
    const summary = await ingest({ paths: [docs], store, embedder: 'local', reembed: true });
    expect(summary.embedded).toBe(0); // the stored chunks were re-embedded, no file changed
    const s = await openStore(store);
    expect((await s.info()).embedder).toMatchObject({ id: 'local:hash-v1:512', dimensions: 512 });
    expect((await s.check()).ok).toBe(true);
    expect((await s.search('cron expression schedule', { k: 1, mode: 'vector' }))[0].source).toBe('en/guide/scheduling.md');
    s.close();
  });

  it('uses an OpenAI-compatible embedder, batched, and remembers it', async () => {
    const { startFakeOpenAI } = await import('../testing/fake-openai.js');
    const fake = await startFakeOpenAI({ embeddingDimensions: 32 });
    try {
      const env = { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-not-a-secret' };
      const first = await ingest({ paths: [join(docs, 'en')], store, embedder: 'openai:text-embedding-3-small', env });
      expect(first.embedded).toBe(first.chunks);
      const calls = fake.requestsTo('embeddings').length;
      expect(calls).toBeGreaterThan(0);
      expect(calls).toBeLessThan(first.chunks); // batched, not one request per chunk
      const again = await ingest({ paths: [join(docs, 'en')], store, env });
      expect(again.embedded).toBe(0);
      expect(fake.requestsTo('embeddings').length).toBe(calls);
      const s = await openStore(store, { env });
      expect((await s.info()).embedder).toMatchObject({ spec: 'openai:text-embedding-3-small', dimensions: 32 });
      expect(sqliteOf(s).index.state).toBe('loaded');
      expect(await s.search('retry', { k: 2, mode: 'vector' })).toHaveLength(2);
      s.close();
      await expect(ingest({ paths: [join(docs, 'en')], store, embedder: 'local' })).rejects.toMatchObject({ code: 'STORE_EMBEDDER_MISMATCH' });
    } finally {
      await fake.close();
    }
  });

  it('re-chunks every file when the chunk size changes', async () => {
    const first = await ingest({ paths: [docs], store });
    const second = await ingest({ paths: [docs], store, chunkSize: 300, chunkOverlap: 0 });
    expect(second.updated).toBe(12);
    expect(second.chunks).toBeGreaterThan(first.chunks);
    const third = await ingest({ paths: [docs], store });
    expect(third).toMatchObject({ unchanged: 12, embedded: 0 }); // the stored chunker settings stick
  });

  it('keeps en/ and zh/ prefixes when several folders are given', async () => {
    await ingest({ paths: [join(docs, 'en'), join(docs, 'zh')], store });
    const names = await sourcesIn(store);
    expect(names).toContain('en/guide/retries.md');
    expect(names).toContain('zh/guide/retries.md');
  });
});
