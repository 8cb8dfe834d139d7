import { describe, expect, it } from 'vitest';
import { checkCitations, citedSentence, findMarkers } from './citations.js';
import type { Passage } from './passages.js';

const passages: Passage[] = [
  { n: 1, id: 'a#0', source: 'en/a.md', heading: 'A', text: 'Feeds are fetched every 30 minutes. The interval is set with fetch.interval.' },
  { n: 2, id: 'b#0', source: 'en/b.md', heading: 'B', text: 'Backups run nightly. Keep a copy off-site.' },
  { n: 3, id: 'c#0', source: 'zh/c.md', heading: 'C', text: '备份每天晚上运行。请在异地保留一份副本。' },
];

describe('findMarkers', () => {
  it.each([
    ['a [1] b', [[1]]],
    ['a [1, 2] b', [[1, 2]]],
    ['a [1][2]', [[1], [2]]],
    ['a [1-3]', [[1, 2, 3]]],
    ['中文【2】和［3］', [[2], [3]]],
    ['a [1，2、3]', [[1, 2, 3]]],
    ['a [link](https://x.org) and `arr[1]`', []],
    ['```\nx = y[2]\n```\ntext [1]', [[1]]],
  ])('%s', (text, expected) => {
    expect(findMarkers(text).map((m) => m.numbers)).toEqual(expected);
  });
});

describe('checkCitations', () => {
  it('keeps real passages, removes markers pointing nowhere, lists each citation once in order', () => {
    const out = checkCitations('Backups run nightly [2][4]. Feeds are fetched every 30 minutes [1, 9]. Again [2].', passages);
    expect(out.text).toBe('Backups run nightly [2]. Feeds are fetched every 30 minutes [1]. Again [2].');
    expect(out.citations.map((c) => [c.n, c.source])).toEqual([[2, 'en/b.md'], [1, 'en/a.md']]);
    expect(out.invalid.sort()).toEqual([4, 9]);
  });

  it('normalises full-width markers and drops an all-invalid group cleanly', () => {
    const out = checkCitations('备份每天晚上运行【3】。异地保留副本［7］。', passages);
    expect(out.text).toBe('备份每天晚上运行[3]。异地保留副本。');
    expect(out.citations.map((c) => c.n)).toEqual([3]);
  });

  it('quotes the passage sentence closest to the citing sentence', () => {
    const out = checkCitations('Set the interval with fetch.interval [1].', passages);
    expect(out.citations[0].quote).toBe('The interval is set with fetch.interval.');
  });

  it('uses cross-lingual terms for the quote when given', () => {
    const out = checkCitations('请保留异地副本[2]。', passages, { expand: () => ['copy', 'off-site'] });
    expect(out.citations[0].quote).toBe('Keep a copy off-site.');
  });

  it('reports nothing for an answer without markers', () => {
    expect(checkCitations('No sources here.', passages)).toEqual({ text: 'No sources here.', citations: [], invalid: [], dropped: [] });
  });
});

describe('citedSentence', () => {
  it('finds the sentence a marker closes, whether before or after the full stop', () => {
    const text = 'First one. Second sentence here [2]. Third.[3]';
    expect(citedSentence(text, text.indexOf('[2]'))).toBe('Second sentence here');
    expect(citedSentence(text, text.indexOf('[3]'))).toBe('Third');
  });
});
