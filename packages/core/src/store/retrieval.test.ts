import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../ingest/index.js';
import { openStore, type LoomStore } from './index.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/docs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'loom-retrieval-'));
let store: LoomStore;

beforeAll(async () => {
  await ingest({ paths: [FIXTURE], store: tmp });
  store = await openStore(tmp);
});
afterAll(() => {
  store.close();
  rmSync(tmp, { recursive: true, force: true });
});

const sources = (hits: { source: string }[]) => hits.map((h) => h.source);

describe('retrieval on the bilingual fixture', () => {
  it.each([
    ['如何设置失败任务的最大尝试次数？', 'zh/guide/retries.md', '重试与退避 > 重试失败的任务'],
    ['令牌桶限流是怎么工作的', 'zh/guide/rate-limiting.md', '限流 > 令牌桶'],
    ['How many times is a failed job attempted by default?', 'en/guide/retries.md', 'Retries and Backoff > Retrying failed jobs'],
    ['wait for running jobs before the worker exits on SIGTERM', 'en/api/worker.md', 'Worker API > Graceful shutdown'],
  ])('%s → %s first', async (query, source, heading) => {
    for (const mode of ['hybrid', 'lexical'] as const) {
      const [top] = await store.search(query, { k: 5, mode });
      expect(top).toMatchObject({ source, heading });
    }
  });

  it('a Chinese question with English API names finds the English-only page', async () => {
    expect(sources(await store.search('如何用 cron 表达式定时执行任务？', { k: 5 }))).toContain('en/guide/scheduling.md');
  });

  it('a Chinese question about an English page ranks it in the top 5 through dictionary expansion', async () => {
    const question = '延迟任务怎么用';
    const hits = await store.search(question, { k: 5, lang: 'en' });
    expect(hits.find((h) => h.source === 'en/guide/scheduling.md' && h.heading.endsWith('Delayed jobs'))).toBeDefined();
    // the dictionary is what finds it: without expansion the vector side only sees noise
    store.tuning = { expansionWeight: 0 };
    const without = await store.search(question, { k: 5, lang: 'en' });
    store.tuning = {};
    expect(without.find((h) => h.heading.endsWith('Delayed jobs'))).toBeUndefined();
  });

  it('an English question about a Chinese-only page ranks it first', async () => {
    expect((await store.search('rate limit per tenant', { k: 5, lang: 'zh' }))[0].source).toBe('zh/guide/rate-limiting.md');
  });

  it('hybrid scores read best-first, at most 3 chunks per source, MMR diversifies', async () => {
    const hits = await store.search('retry failed jobs backoff dead letter', { k: 10 });
    for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
    const counts = new Map<string, number>();
    for (const h of hits) counts.set(h.source, (counts.get(h.source) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(3);
    const one = await store.search('retry failed jobs backoff dead letter', { k: 3, perSource: 1 });
    expect(new Set(sources(one)).size).toBe(3);
    const mmr = await store.search('retry failed jobs backoff dead letter', { k: 4, mmr: true, perSource: 0 });
    expect(mmr).toHaveLength(4);
  });

  it('FTS syntax in a query is searched as words, not parsed', async () => {
    for (const q of ['"unbalanced', 'NEAR(a b)', 'title:retries', 'a* OR -b AND ^c']) {
      await expect(store.search(q, { mode: 'lexical' })).resolves.toBeInstanceOf(Array);
    }
    expect((await store.search('retryDead(jobId)', { k: 1, mode: 'lexical' }))[0].heading).toMatch(/Dead letter queue|死信队列/);
  });

  it('rejects bad options with USAGE errors', async () => {
    await expect(store.search('x', { k: 0 })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(store.search('x', { mode: 'fuzzy' as never })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(store.search('x', { filter: { '': 'y' } })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
