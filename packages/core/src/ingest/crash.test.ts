import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from './index.js';
import { openStore } from '../store/index.js';
import { distBuilt, spawnIngest, waitForProgress, writeCorpus } from '../../test/helpers/store-corpus.js';

const FILES = 240;
let tmp: string;
let docs: string;
let store: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'loom-crash-'));
  docs = join(tmp, 'docs');
  store = join(tmp, 'store');
  writeCorpus(docs, FILES);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

async function expectClean(dir: string, sources: number): Promise<void> {
  const s = await openStore(dir);
  try {
    const report = (await s.check());
    expect(report.problems).toEqual([]);
    expect(report.sqlite.sources).toBe(sources);
    expect(report.hnsw.live).toBe(report.sqlite.vectors);
    const hit = (await s.search('page17sec3', { k: 1, mode: 'lexical' }))[0];
    if (sources === FILES) expect(hit.source).toBe('part3/page-17.md');
  } finally {
    s.close();
  }
}

// these spawn the built CLI: a missing build fails here rather than skipping the file
it('has a build to spawn', () => expect(distBuilt(), 'run `corepack pnpm build` first').toBe(true));

describe('crash consistency', () => {
  it.each([
    ['between saves', {}],
    ['with the index saved every 150 changes', { LOOM_HNSW_SAVE_EVERY: '150' }],
  ])('kill -9 mid-ingest (%s) leaves a consistent store that the next ingest completes', async (_label, env) => {
    const child = spawnIngest(docs, store, env as Record<string, string>);
    await waitForProgress(child, FILES / 3);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // the next open repairs the index from the change log; the store holds what was committed
    const s = await openStore(store);
    const partial = (await s.check());
    s.close();
    expect(partial.problems).toEqual([]);
    expect(partial.sqlite.sources).toBeGreaterThan(0);
    expect(partial.sqlite.sources).toBeLessThan(FILES);

    // the dead writer's lock is taken over; the next ingest finishes the job without redoing it
    const summary = await ingest({ paths: [docs], store });
    expect(summary.added + summary.unchanged).toBe(FILES);
    expect(summary.unchanged).toBe(partial.sqlite.sources);
    await expectClean(store, FILES);
    const again = await ingest({ paths: [docs], store });
    expect(again.embedded).toBe(0);
  }, 60_000);
});

describe('writer lock', () => {
  it('a second ingest fails with STORE_LOCKED naming the pid, while searches keep working', async () => {
    await ingest({ paths: [join(docs, 'part0')], store });
    const child = spawnIngest(docs, store);
    try {
      await waitForProgress(child, 20);
      const err = await ingest({ paths: [docs], store, lockWaitMs: 300 }).catch((e) => e);
      // one assertion on the whole error, so a failure shows what came back instead
      expect(err).toMatchObject({ code: 'STORE_LOCKED', message: expect.stringMatching(new RegExp(`^store is locked by pid ${child.pid} \\(loom ingest`)) });
      const reader = await openStore(store, { readonly: true });
      const hits = await reader.search('page0sec1', { k: 3 });
      expect(hits.length).toBeGreaterThan(0);
      reader.close();
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // the lock file still names the dead child (unless the child finished before the kill, which
    // happens on a slow machine): a stale lock is taken over
    if (existsSync(join(store, 'store.lock'))) {
      expect(JSON.parse(readFileSync(join(store, 'store.lock'), 'utf8')).pid).toBe(child.pid);
    }
    const summary = await ingest({ paths: [docs], store, lockWaitMs: 300 });
    expect(summary.added + summary.unchanged).toBe(FILES);
  }, 60_000);

  it('a lock file left half-written is taken over', async () => {
    await ingest({ paths: [join(docs, 'part1')], store });
    writeFileSync(join(store, 'store.lock'), '{"pid": 12');
    const summary = await ingest({ paths: [join(docs, 'part1')], store, lockWaitMs: 300 });
    expect(summary.unchanged).toBeGreaterThan(0);
  });
});
