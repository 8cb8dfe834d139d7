import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loom } from '../helpers/loom-cli.js';
import { writeCorpus } from './corpus.js';

/*
 * Eight `loom ingest` runs into one store at once: each either finishes or says who holds the
 * lock, and the store ends as one ingest leaves it (store check passes, same counts).
 */
const PAGES = 120;
let work: string;
let corpus: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'loom-concurrent-'));
  corpus = join(work, 'corpus');
  writeCorpus(corpus, PAGES, 7);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => loom(args, { cwd: work, timeoutMs: 240_000 });

async function counts(store: string): Promise<{ sources: number; chunks: number }> {
  const check = await run(['store', 'check', '--store', store, '--json']);
  expect(check.code, check.stderr).toBe(0);
  const report = JSON.parse(check.stdout);
  expect(report.problems).toEqual([]);
  expect(report.hnsw.live).toBe(report.sqlite.vectors);
  return { sources: report.sqlite.sources, chunks: report.sqlite.chunks };
}

describe('concurrent writers', () => {
  it('8 concurrent ingests into one store: each finishes or is refused naming the holder; the store equals one ingest', async () => {
    const reference = join(work, 'reference');
    expect((await run(['ingest', corpus, '--store', reference, '--json'])).code).toBe(0);
    const expected = await counts(reference);

    const store = join(work, 'shared');
    const pids: number[] = [];
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      loom(['ingest', corpus, '--store', store, '--json'], { cwd: work, timeoutMs: 240_000, onSpawn: (c) => pids.push(c.pid!) })));
    let finished = 0;
    for (const r of results) {
      expect(r.timedOut).toBe(false);
      if (r.code === 0) {
        finished++;
        expect(JSON.parse(r.stdout).files).toBe(PAGES);
        continue;
      }
      expect(r.code, r.stderr).toBe(1);
      const holder = /^error: store is locked by pid (\d+) \(loom ingest /.exec(r.stderr);
      expect(holder, r.stderr).not.toBeNull();
      expect(pids).toContain(Number(holder![1]));
    }
    expect(finished).toBeGreaterThanOrEqual(1);
    expect(await counts(store)).toEqual(expected);
  }, 300_000);
});
