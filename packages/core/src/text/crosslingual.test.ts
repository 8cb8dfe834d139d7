import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanGlosses, dictionaryLoadInfo, loadDirection, resetDictionary } from './cedict.js';
import { expandQuery } from './crosslingual.js';

let cache: string;
const saved = process.env.LOOM_CACHE_DIR;
beforeAll(() => {
  cache = mkdtempSync(join(tmpdir(), 'loom-cedict-'));
  writeFileSync(join(cache, 'cedict-v0-1-2-zh.tsv'), 'stale\tformat\n'); // an older version's file
  process.env.LOOM_CACHE_DIR = cache;
  resetDictionary();
});
afterAll(() => {
  if (saved === undefined) delete process.env.LOOM_CACHE_DIR;
  else process.env.LOOM_CACHE_DIR = saved;
  resetDictionary();
  rmSync(cache, { recursive: true, force: true });
});

describe('expandQuery', () => {
  it('glosses Chinese words in English, computing senses first', () => {
    expect(expandQuery('计算属性')).toMatchObject({ lang: 'zh', terms: expect.arrayContaining(['compute', 'property']) });
    expect(expandQuery('组件').terms).toContain('component');
    expect(expandQuery('缓存').terms[0]).toBe('cache');
    expect(expandQuery('插槽').terms).toEqual(['slot']);
    expect(expandQuery('依赖注入').terms).toEqual(['dependency injection']);
  });

  it('finds dictionary words that the segmenter splits (组件 is 组 | 件 to ICU)', () => {
    expect(expandQuery('如何注册全局组件？').terms).toEqual(expect.arrayContaining(['register', 'component']));
  });

  it('gives Chinese headwords for English content words, singular forms included', () => {
    expect(expandQuery('dependency injection')).toMatchObject({ lang: 'en', terms: expect.arrayContaining(['依赖注入']) });
    expect(expandQuery('the modal dialog').terms).toContain('模态');
    expect(expandQuery('lifecycle hooks').terms).toContain('钩子');
    expect(expandQuery('caches').terms).toContain('缓存');
  });

  it('drops stopwords, notes and cross-references, and honours maxTerms', () => {
    const terms = expandQuery('计算属性', { maxTerms: 3 }).terms;
    expect(terms).toHaveLength(3);
    for (const t of terms) expect(t).toMatch(/^[a-z][a-z' -]*$/);
    expect(expandQuery('the of and').terms).toEqual([]);
    expect(expandQuery('').terms).toEqual([]);
  });

  it('wrote a compact cache (removing stale versions), and a fresh load reads it instead of the package', () => {
    const files = readdirSync(cache).filter((f) => f.endsWith('.tsv'));
    expect(files).toHaveLength(2);
    expect(files).not.toContain('cedict-v0-1-2-zh.tsv');
    resetDictionary();
    loadDirection('zh');
    const info = dictionaryLoadInfo();
    expect(info.zh).toMatchObject({ source: 'cache' });
    expect(info.zh!.entries).toBeGreaterThan(100_000);
  });
});

describe('cleanGlosses', () => {
  it.each([
    ['to calculate; to compute', ['calculate', 'compute']],
    ['(computing) cache', ['cache']],
    ['variant of 緩存|缓存[huan3 cun2]', []],
    ['CL:個|个[ge4]', []],
    ['to do sth carefully (literary)', ['do carefully']],
    ['a very long gloss with far too many words', []],
  ])('%s', (sense, glosses) => {
    expect(cleanGlosses(sense).glosses).toEqual(glosses);
  });
});
