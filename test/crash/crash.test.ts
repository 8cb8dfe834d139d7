import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loom, type LoomResult } from '../helpers/loom-cli.js';
import { page, rng, writeCorpus } from './corpus.js';

/*
 * `kill -9` in the middle of `loom ingest`, again and again, while the corpus keeps changing
 * (pages edited, deleted, added; the chunk size flipped so every round has real work): after
 * every kill `loom store check` must pass, and a last uninterrupted ingest must converge to the
 * same store as a fresh ingest of the final corpus. Then two ingests and a search at once.
 * Sized for a 2-core machine: about a minute in all.
 */
const SEED = Number(process.env.CRASH_SEED ?? 20251123);
const PAGES = 450;
const MIN_KILLS = 20;
// each with the language filter of its pages
const QUERIES: [string, string][] = [['retry backoff timeout', 'lang=en'], ['webhook plugin server', 'lang=en'], ['向量 索引 重建', 'lang=zh'], ['备份 恢复', 'lang=zh']];

let work: string;
let corpus: string;
let files: string[];
const r = rng(SEED);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'loom-crash-'));
  corpus = join(work, 'corpus');
  files = writeCorpus(corpus, PAGES, SEED);
});
afterAll(() => {
  // CRASH_KEEP=1 keeps the stores and the corpus to look at after a failure
  if (work && !process.env.CRASH_KEEP) rmSync(work, { recursive: true, force: true });
  else if (work) console.log(`crash test files kept in ${work}`);
});

const run = (args: string[], options: Partial<Parameters<typeof loom>[1]> = {}) => loom(args, { cwd: work, timeoutMs: 60_000, ...options });
const ingest = (store: string, chunkSize: number, options: Partial<Parameters<typeof loom>[1]> = {}) =>
  run(['ingest', corpus, '--store', store, '--prune', '--chunk-size', String(chunkSize), '--json'], options);

/** Edits, deletes and adds a few pages: the next ingest has updates, removals and additions to do. */
function mutate(round: number): void {
  for (let i = 0; i < 12; i++) {
    const rel = files[Math.floor(r() * files.length)];
    writeFileSync(join(corpus, rel), page(r, `Edited ${round}-${i}`, rel.startsWith('zh')));
  }
  for (let i = 0; i < 3 && files.length > 100; i++) {
    const [rel] = files.splice(Math.floor(r() * files.length), 1);
    unlinkSync(join(corpus, rel));
  }
  mkdirSync(join(corpus, 'en', 'added'), { recursive: true });
  for (let i = 0; i < 3; i++) {
    const rel = join('en', 'added', `round-${round}-${i}.md`);
    writeFileSync(join(corpus, rel), page(r, `Added ${round}-${i}`, false));
    files.push(rel);
  }
}

/**
 * What must be equal between two stores: counts, and search results. Vector searches with a
 * filter are exact scans here (a filter matching under 2,000 chunks skips the graph), so they
 * must match to the last digit; unfiltered ones go through HNSW, approximate by design.
 */
async function fingerprint(store: string, mode: string, filtered: boolean) {
  const info = JSON.parse((await run(['store', 'info', '--store', store, '--json'])).stdout);
  const results: Record<string, string[]> = {};
  for (const [q, filter] of QUERIES) {
    const out = await run(['search', q, '--store', store, '--json', '-k', '8', '--mode', mode, ...(filtered ? ['--filter', filter] : [])]);
    expect(out.code, out.stderr).toBe(0);
    results[`${mode} ${filtered ? filter : ''}: ${q}`] = JSON.parse(out.stdout).map((h: { id: string; source: string; score: number }) => `${h.source} ${h.id} ${h.score.toFixed(4)}`);
  }
  return { sources: info.sources, chunks: info.chunks, languages: info.languages, live: info.hnsw.elements - info.hnsw.deleted, results };
}

/** Share of b's hits that a also found. */
function overlap(a: string[], b: string[]): number {
  const ids = new Set(a.map((h) => h.split(' ')[1]));
  return b.filter((h) => ids.has(h.split(' ')[1])).length / Math.max(1, b.length);
}

function describeExit(r: LoomResult): string {
  return `exit ${r.code} signal ${r.signal} after ${r.ms} ms\n${r.stdout.slice(0, 500)}\n${r.stderr.slice(0, 1500)}`;
}

describe('crash consistency of loom ingest (seed in CRASH_SEED)', () => {
  it(`survives at least ${MIN_KILLS} kill -9 at random points and converges to a fresh ingest`, async () => {
    const store = join(work, 'killed');
    const reference = join(work, 'reference');
    // how long a full ingest takes here: kills are spread over that
    const t0 = Date.now();
    const first = await ingest(join(work, 'timing'), 1200);
    expect(first.code, describeExit(first)).toBe(0);
    const full = Date.now() - t0;

    let kills = 0;
    let finished = 0;
    // how long a round takes: it shrinks once both chunkings' vectors are stored (reused, not
    // re-embedded), so it follows the last round that ran to the end
    let estimate = full;
    for (let round = 0; kills < MIN_KILLS && round < 60; round++) {
      mutate(round);
      // spread over the start-up and the work of a round (every round re-chunks everything)
      const delay = 150 + Math.floor(r() * Math.max(0, estimate - 150) * 0.9);
      const out = await ingest(store, round % 2 === 0 ? 900 : 1200, {
        onSpawn: (child) => { setTimeout(() => child.kill('SIGKILL'), delay); },
      });
      if (out.signal === 'SIGKILL') kills++;
      else {
        expect(out.code, `round ${round}: ${describeExit(out)}`).toBe(0);
        finished++;
        estimate = out.ms;
      }
      if (!existsSync(store)) continue; // killed before the store folder was made
      const check = await run(['store', 'check', '--store', store]);
      expect(check.code, `round ${round}, killed after ${delay} ms: store check\n${describeExit(check)}`).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);

    const last = await ingest(store, 1200);
    expect(last.code, describeExit(last)).toBe(0);
    const fresh = await ingest(reference, 1200);
    expect(fresh.code, describeExit(fresh)).toBe(0);
    expect(JSON.parse(fresh.stdout).added).toBe(files.length);
    const [a, b] = [await fingerprint(store, 'vector', true), await fingerprint(reference, 'vector', true)];
    expect(a.sources).toBe(files.length);
    expect(a).toEqual(b);
    // through the graph: a store rebuilt by many interrupted runs may miss the odd neighbour
    const [ga, gb] = [await fingerprint(store, 'vector', false), await fingerprint(reference, 'vector', false)];
    for (const key of Object.keys(gb.results)) expect(overlap(ga.results[key], gb.results[key]), key).toBeGreaterThanOrEqual(0.75);
    // and once more: nothing left to do
    const again = JSON.parse((await ingest(store, 1200)).stdout);
    expect(again).toMatchObject({ added: 0, updated: 0, removed: 0, embedded: 0 });
    console.log(`crash test: ${kills} kills, ${finished} rounds finished before the kill, full ingest ${full} ms, seed ${SEED}`);
  }, 150_000);

  it('after loom store compact, lexical rankings converge too', async () => {
    // FTS5 with contentless_delete=1 keeps deleted rows in its BM25 statistics, even after
    // 'optimize': a store with a history of edits ranks a little differently from a fresh one
    // until `loom store compact` rebuilds the full-text index
    for (const dir of ['killed', 'reference']) {
      const out = await run(['store', 'compact', '--store', join(work, dir)]);
      expect(out.code, describeExit(out)).toBe(0);
    }
    const [a, b] = [await fingerprint(join(work, 'killed'), 'lexical', false), await fingerprint(join(work, 'reference'), 'lexical', false)];
    expect(a).toEqual(b);
  }, 60_000);

  it('two ingests and a search at once: the second ingest waits or names the lock holder, the search answers', async () => {
    const store = join(work, 'killed');
    // plenty to do, so the first ingest still holds the lock when the others start
    for (const rel of files.filter((_, i) => i % 3 === 0)) writeFileSync(join(corpus, rel), page(r, `Rewritten ${rel}`, rel.startsWith('zh')));
    const pids: number[] = [];
    const spawned = (child: { pid?: number }) => { pids.push(child.pid ?? -1); };
    const a = ingest(store, 900, { onSpawn: spawned });
    await new Promise((done) => setTimeout(done, 250));
    const [b, search] = [ingest(store, 900, { onSpawn: spawned }), run(['search', 'vector index rebuild', '--store', store, '--json'])];
    const [ra, rb, rs] = await Promise.all([a, b, search]);
    expect(rs.code, describeExit(rs)).toBe(0);
    expect(JSON.parse(rs.stdout).length).toBeGreaterThan(0);
    const outcomes = [ra, rb];
    expect(outcomes.some((o) => o.code === 0), `${describeExit(ra)}\n${describeExit(rb)}`).toBe(true);
    for (const [i, o] of outcomes.entries()) {
      if (o.code === 0) continue;
      // the loser says who holds the lock: the other ingest
      expect(o.code, describeExit(o)).toBe(1);
      expect(o.stderr).toMatch(new RegExp(`store is locked by pid ${pids[1 - i]}\\b`));
    }
    expect((await run(['store', 'check', '--store', store])).code).toBe(0);
    expect(readdirSync(store)).not.toContain('store.lock');
    console.log(`concurrent ingests: exits ${ra.code} and ${rb.code} (${rb.ms} ms); search exit ${rs.code} in ${rs.ms} ms`);
  }, 60_000);
});
