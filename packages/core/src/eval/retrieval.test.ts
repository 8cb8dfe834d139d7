import { describe, expect, it } from 'vitest';
import type { Hit } from '../store/types.js';
import { parseQueriesJsonl } from './cases.js';
import { evaluateRetrieval, type SearchableStore } from './retrieval.js';
import { displayWidth, formatMisses, formatRetrievalReport, formatTable, truncate } from './report.js';

// Scripted answers per query text, so every figure below can be checked by hand.
function scriptedStore(script: Record<string, string[]>, calls: unknown[] = []): SearchableStore {
  return {
    async search(query, options) {
      calls.push({ query, ...options });
      return (script[query] ?? []).map((source, i): Hit => ({
        id: `${source}#${i}`, source, heading: '', lang: 'en', score: 1 / (i + 1), text: '',
      }));
    },
  };
}

const questions = parseQueriesJsonl([
  '{"id": "a", "query": "qa", "gold": ["p1.md"], "lang": "en", "kind": "same"}',
  '{"id": "b", "query": "qb", "gold": ["p2.md"], "lang": "zh", "kind": "same"}',
  '{"id": "c", "query": "qc", "gold": ["p3.md"], "lang": "zh", "kind": "cross", "filter": {"lang": "en"}}',
  '{"id": "d", "query": "qd", "expect": "refuse", "kind": "none"}',
].join('\n'), 'q.jsonl');

const script = {
  qa: ['p1.md', 'p1.md', 'x.md'], // hit at rank 1 (a duplicate chunk of the same page follows)
  qb: ['x.md', 'x.md', 'y.md', 'p2.md'], // pages x, y, p2: rank 3
  qc: [], // nothing found
  qd: ['x.md'],
};

describe('evaluateRetrieval', () => {
  it('scores pages per question and averages only questions with a gold page', async () => {
    const calls: Record<string, unknown>[] = [];
    const report = await evaluateRetrieval({ store: scriptedStore(script, calls), queries: questions, mode: 'lexical', k: 10 });
    expect(report.ks).toEqual([1, 5, 10]);
    expect(report.depth).toBe(40);
    expect(report.skipped).toBe(1);
    expect(report.rows.map((r) => r.firstRank)).toEqual([1, 3, undefined, undefined]);
    expect(report.rows[1].pages).toEqual(['x.md', 'y.md', 'p2.md']);
    expect(report.overall.count).toBe(3);
    expect(report.overall.mrr[10]).toBeCloseTo((1 + 1 / 3 + 0) / 3, 9);
    expect(report.overall.recall[1]).toBeCloseTo(1 / 3, 9);
    expect(report.overall.recall[5]).toBeCloseTo(2 / 3, 9);
    expect(report.groups['kind=same'].recall[5]).toBe(1);
    expect(report.groups['kind=cross lang=zh'].recall[5]).toBe(0);
    expect(report.groups['lang=zh'].count).toBe(2);
    // chunks fetched deeper than k, in the asked mode, with the question's filter
    expect(calls[0]).toMatchObject({ query: 'qa', k: 40, mode: 'lexical' });
    expect(calls[2]).toMatchObject({ lang: 'en', filter: { lang: 'en' } });
  });

  it('uses a caller filter and a small k', async () => {
    const calls: Record<string, unknown>[] = [];
    const report = await evaluateRetrieval({
      store: scriptedStore(script, calls), queries: questions.slice(0, 2), k: 2, depth: 7,
      filterFor: (q) => ({ filter: { source: q.lang === 'zh' ? 'zh/**' : 'en/**' } }),
    });
    expect(report.ks).toEqual([1, 2]);
    expect(report.rows[1].pages).toEqual(['x.md', 'y.md']);
    expect(calls[1]).toMatchObject({ k: 7, mode: 'hybrid', filter: { source: 'zh/**' } });
    expect(report.overall.recall[2]).toBeCloseTo(0.5, 9);
  });

  it('rejects a bad k', async () => {
    await expect(evaluateRetrieval({ store: scriptedStore({}), queries: questions, k: 0 })).rejects.toThrow(/positive integer/);
  });
});

describe('report', () => {
  it('prints modes side by side per group, and the misses', async () => {
    const store = scriptedStore(script);
    const reports = [
      await evaluateRetrieval({ store, queries: questions, mode: 'hybrid' }),
      await evaluateRetrieval({ store, queries: questions, mode: 'vector' }),
    ];
    const text = formatRetrievalReport(reports);
    expect(text).toMatch(/group\s+mode\s+n\s+nDCG@10\s+R@1\s+R@5\s+R@10\s+MRR@10/);
    expect(text).toMatch(/overall\s+hybrid\s+3\s+0\.\d{3}/);
    expect(text).toMatch(/\n\s+vector\s+3\s/);
    expect(text).toContain('1 question(s) without a relevant page');
    const misses = formatMisses(reports);
    expect(misses).toContain('Misses (no relevant page in the top 5): 1 question(s)');
    expect(misses).toContain('- c (cross, zh): qc');
    expect(misses).toContain('    hybrid: not in the top 40 chunks; top: (nothing)\n    vector: not in the top 40 chunks; top: (nothing)');
  });
  it('aligns Chinese text by display width', () => {
    expect(displayWidth('检索abc')).toBe(7);
    const table = formatTable(['q', 'n'], [['中文问题', '1'], ['english', '22']], new Set([1]));
    const lines = table.split('\n');
    expect(displayWidth(lines[2])).toBe(displayWidth(lines[3]));
    expect(truncate('一二三四五六', 7)).toBe('一二三…');
  });
});
