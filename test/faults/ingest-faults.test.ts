import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../packages/core/src/testing/index.js';
import { REPO, STACK_LINE, loom } from '../helpers/loom-cli.js';

/*
 * An embeddings server that fails part-way through `loom ingest --embedder openai:…`: the ingest
 * stops with a clear error naming the embedder, what was written before is a consistent store
 * (`loom store check` passes), and once the server is back the next ingest finishes the job.
 */
const KEY = 'sk-embed-fault-0123456789abcdef';
const DOCS = join(REPO, 'examples/community-docs');
let fake: FakeOpenAI;
let work: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ embeddingDimensions: 64 });
  work = mkdtempSync(join(tmpdir(), 'loom-ingest-faults-'));
});
afterAll(async () => {
  await fake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.setHandler(undefined);
});

const run = (args: string[]) => loom(args, { cwd: work, env: { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: KEY }, timeoutMs: 90_000 });
const ingest = (store: string) => run(['ingest', DOCS, '--store', store, '--embedder', 'openai:text-embedding-3-small', '--json']);

describe('embeddings server faults during ingest', () => {
  it('fails part-way: clear error, consistent store, and the next ingest completes', async () => {
    // how many embedding requests a whole ingest makes: the server then breaks on the last one,
    // after the first batches of documents were written
    expect((await ingest(join(work, 'count'))).code).toBe(0);
    const whole = fake.requestsTo('embeddings').length;
    expect(whole).toBeGreaterThanOrEqual(2);
    fake.reset();
    const store = join(work, 'partial');
    let calls = 0;
    fake.setHandler((req) => (req.endpoint === 'embeddings' && ++calls >= whole ? { status: 503, errorMessage: 'embedding backend down' } : undefined));
    const failed = await ingest(store);
    expect(failed.code, failed.stderr).toBe(2);
    expect(failed.stderr).toMatch(/openai:text-embedding-3-small/);
    expect(failed.stderr).toMatch(/503 embedding backend down/);
    expect(failed.stderr).not.toMatch(STACK_LINE);
    expect(failed.stdout + failed.stderr).not.toContain(KEY);

    const check = await run(['store', 'check', '--store', store]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const partial = JSON.parse((await run(['store', 'info', '--store', store, '--json'])).stdout);
    expect(partial.sources).toBeGreaterThan(0);
    expect(partial.sources).toBeLessThan(53);

    fake.setHandler(undefined);
    const done = await ingest(store);
    expect(done.code, done.stderr).toBe(0);
    const summary = JSON.parse(done.stdout);
    expect(summary.added + summary.unchanged).toBe(53);
    expect(summary.unchanged).toBe(partial.sources); // nothing written before the failure is redone
    expect((await run(['store', 'check', '--store', store])).code).toBe(0);

    // without the key: counts, checks and lexical search still work; a vector search says what is missing
    const keyless = (args: string[]) => loom(args, { cwd: work, env: {}, timeoutMs: 60_000 });
    expect((await keyless(['store', 'info', '--store', store])).code).toBe(0);
    expect((await keyless(['store', 'check', '--store', store])).code).toBe(0);
    expect((await keyless(['search', 'backup', '--store', store, '--mode', 'lexical'])).code).toBe(0);
    const vector = await keyless(['search', 'backup', '--store', store]);
    expect(vector.code).toBe(2);
    expect(vector.stderr).toMatch(/OPENAI_API_KEY is not set/);
  }, 120_000); // a loaded 2-core CI machine: the ingest runs twice

  it('a server that changes its vector size is refused, not mixed into the index', async () => {
    const store = join(work, 'dims');
    expect((await ingest(store)).code).toBe(0);
    const before = JSON.parse((await run(['store', 'info', '--store', store, '--json'])).stdout);
    // same model name, now 32 numbers per vector (the operator swapped the model behind it)
    const swapped = await startFakeOpenAI({ embeddingDimensions: 32 });
    try {
      const more = join(work, 'more');
      mkdirSync(more, { recursive: true });
      writeFileSync(join(more, 'new.md'), '# A new page\n\nThis page arrives after the embedding model was swapped.\n');
      const out = await loom(['ingest', more, '--store', store, '--embedder', 'openai:text-embedding-3-small'], {
        cwd: work, env: { OPENAI_BASE_URL: swapped.url, OPENAI_API_KEY: KEY }, timeoutMs: 90_000,
      });
      expect(out.code, out.stderr).toBe(1);
      expect(out.stderr).toMatch(/returned 32 dimensions, the store expects 64/);
      expect(out.stderr).not.toMatch(STACK_LINE);
    } finally {
      await swapped.close();
    }
    const check = await run(['store', 'check', '--store', store]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const after = JSON.parse((await run(['store', 'info', '--store', store, '--json'])).stdout);
    expect(after.chunks).toBe(before.chunks);
  }, 120_000);
});
