import { describe, expect, it } from 'vitest';
import { firstRelevantRank, mean, mrrAtK, ndcgAtK, pagesFromHits, recallAtK, scoreRanking, successAtK } from './metrics.js';

const j = (o: Record<string, number>) => new Map(Object.entries(o));
const pages = (...ids: string[]) => ids.map((id) => ({ id }));
const scored = (...xs: [string, number][]) => xs.map(([id, score]) => ({ id, score }));

// discounts 1/log2(i+2): 1, 0.6309298, 0.5, 0.4306766
const D1 = 1 / Math.log2(3);

describe('nDCG with graded relevance (linear gains, as trec_eval)', () => {
  it('scores a graded ranking by hand', () => {
    // DCG = 1*1 + 0 + 2*0.5 = 2; IDCG = 2*1 + 1*0.6309 = 2.6309
    const ranked = pages('b', 'x', 'a');
    const gold = j({ a: 2, b: 1 });
    expect(ndcgAtK(ranked, gold, 10)).toBeCloseTo(2 / (2 + D1), 6);
    expect(ndcgAtK(ranked, gold, 10)).toBeCloseTo(0.760186, 5);
    // at k=1: DCG 1, IDCG 2
    expect(ndcgAtK(ranked, gold, 1)).toBeCloseTo(0.5, 6);
  });
  it('is 1 for the ideal order and below 1 when grades are swapped', () => {
    expect(ndcgAtK(pages('a', 'b'), j({ a: 2, b: 1 }), 10)).toBeCloseTo(1, 9);
    // 1 + 2*0.6309 = 2.2619 over 2.6309
    expect(ndcgAtK(pages('b', 'a'), j({ a: 2, b: 1 }), 10)).toBeCloseTo((1 + 2 * D1) / (2 + D1), 6);
  });
  it('ignores grade 0 judgements (BEIR qrels list non-relevant pages with 0)', () => {
    const gold = j({ a: 0, b: 1 });
    expect(ndcgAtK(pages('a', 'b'), gold, 10)).toBeCloseTo(D1, 6);
    expect(mrrAtK(pages('a', 'b'), gold, 10)).toBeCloseTo(0.5, 9);
    expect(recallAtK(pages('a', 'b'), gold, 1)).toBe(0);
  });
});

describe('recall, MRR and success', () => {
  it('counts relevant pages within the cutoff only', () => {
    const ranked = pages('x', 'a', 'y', 'b');
    const gold = j({ a: 1, b: 1, c: 1 });
    expect(recallAtK(ranked, gold, 1)).toBe(0);
    expect(recallAtK(ranked, gold, 2)).toBeCloseTo(1 / 3, 9);
    expect(recallAtK(ranked, gold, 10)).toBeCloseTo(2 / 3, 9);
    expect(mrrAtK(ranked, gold, 10)).toBeCloseTo(0.5, 9);
    expect(mrrAtK(ranked, gold, 1)).toBe(0);
    expect(successAtK(ranked, gold, 2)).toBe(1);
    expect(firstRelevantRank(ranked, gold)).toBe(2);
  });
  it('scores a relevant page beyond k as a miss', () => {
    const s = scoreRanking(pages('x', 'y', 'a'), j({ a: 1 }), [2])!;
    expect(s).toEqual({ ndcg: { 2: 0 }, recall: { 2: 0 }, mrr: { 2: 0 }, success: { 2: 0 } });
  });
});

describe('ties: expected value over the orders of a tied group', () => {
  it('averages two pages tied at the top', () => {
    const ranked = scored(['x', 0.5], ['a', 0.5]);
    const gold = j({ a: 1 });
    expect(ndcgAtK(ranked, gold, 10)).toBeCloseTo((1 + D1) / 2, 9); // 0.8155
    expect(mrrAtK(ranked, gold, 10)).toBeCloseTo(0.75, 9);
    expect(recallAtK(ranked, gold, 1)).toBeCloseTo(0.5, 9);
    expect(successAtK(ranked, gold, 1)).toBeCloseTo(0.5, 9);
    expect(mrrAtK(ranked, gold, 1)).toBeCloseTo(0.5, 9);
  });
  it('gives the same figures whichever way the tie was sorted', () => {
    const gold = j({ a: 1 });
    const one = scoreRanking(scored(['x', 0.5], ['a', 0.5]), gold, [1, 10]);
    const two = scoreRanking(scored(['a', 0.5], ['x', 0.5]), gold, [1, 10]);
    expect(one).toEqual(two);
  });
  it('handles a group of three with two relevant pages (enumerated by hand)', () => {
    const ranked = scored(['a', 0.7], ['x', 0.7], ['b', 0.7]);
    const gold = j({ a: 1, b: 1 });
    // 6 orders: x first in 2 of them (RR 1/2), otherwise RR 1 -> 5/6
    expect(mrrAtK(ranked, gold, 10)).toBeCloseTo(5 / 6, 9);
    expect(successAtK(ranked, gold, 1)).toBeCloseTo(2 / 3, 9);
    expect(recallAtK(ranked, gold, 1)).toBeCloseTo(1 / 3, 9);
    // gain 2 spread over discounts (1 + 0.6309 + 0.5)/3; IDCG 1 + 0.6309
    expect(ndcgAtK(ranked, gold, 10)).toBeCloseTo((2 * (1 + D1 + 0.5)) / 3 / (1 + D1), 9);
  });
  it('splits only the group that straddles the cutoff', () => {
    const ranked = scored(['a', 0.9], ['x', 0.5], ['b', 0.5]);
    const gold = j({ b: 1 });
    expect(recallAtK(ranked, gold, 2)).toBeCloseTo(0.5, 9);
    expect(mrrAtK(ranked, gold, 10)).toBeCloseTo((1 / 2 + 1 / 3) / 2, 9);
  });
});

describe('empty and degenerate input', () => {
  it('scores empty results as zero', () => {
    expect(scoreRanking([], j({ a: 1 }), [1, 10])).toEqual({
      ndcg: { 1: 0, 10: 0 }, recall: { 1: 0, 10: 0 }, mrr: { 1: 0, 10: 0 }, success: { 1: 0, 10: 0 },
    });
  });
  it('returns null for a query with nothing relevant', () => {
    expect(scoreRanking(pages('a'), j({}), [10])).toBeNull();
    expect(scoreRanking(pages('a'), j({ a: 0 }), [10])).toBeNull();
  });
  it('averages an empty list as 0', () => {
    expect(mean([])).toBe(0);
    expect(mean([1, 0, 0.5])).toBeCloseTo(0.5, 9);
  });
});

describe('pages from chunk hits', () => {
  it('keeps the first occurrence of each page, with its rank and score', () => {
    const hits = [
      { source: 'guide/a.md', score: 0.9 },
      { source: 'guide/b.md', score: 0.8 },
      { source: 'guide/a.md', score: 0.7 },
      { source: '指南/中文.md', score: 0.6 },
    ];
    expect(pagesFromHits(hits)).toEqual([
      { id: 'guide/a.md', score: 0.9 }, { id: 'guide/b.md', score: 0.8 }, { id: '指南/中文.md', score: 0.6 },
    ]);
    // b is the second page, not the third hit
    expect(mrrAtK(pagesFromHits(hits), j({ 'guide/b.md': 1 }), 10)).toBeCloseTo(0.5, 9);
  });
  it('counts a duplicated page once even when the caller did not dedupe', () => {
    const gold = j({ b: 1 });
    expect(mrrAtK(pages('a', 'a', 'b'), gold, 10)).toBeCloseTo(0.5, 9);
    expect(recallAtK(pages('a', 'a', 'b'), gold, 2)).toBe(1);
  });
  it('maps hits to pages with a custom key (e.g. a BEIR document id)', () => {
    const hits = [{ source: 'corpus.jsonl', id: 'd1#0', doc: 'd1' }, { source: 'corpus.jsonl', id: 'd2#0', doc: 'd2' }];
    expect(pagesFromHits(hits, (h) => h.doc).map((p) => p.id)).toEqual(['d1', 'd2']);
  });
});
