import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoomError } from '../errors.js';
import { parseQueriesJsonl } from './cases.js';
import { parseQrels, readBeir, resolveBeirPaths } from './beir.js';

describe('simple JSONL questions', () => {
  it('reads questions with gold paths, groups, refusals and expected phrases', () => {
    const text = [
      '{"query": "How do I retry a step?", "gold": ["guide/retries.md"], "lang": "en", "kind": "same-language", "answer_contains": "retry"}',
      '{"query": "retry settings", "gold": ["guide/retries.md", "reference/config.md", "faq.md"]}',
      '',
      '{"query": "如何重试失败的步骤？", "gold": {"./zh/guide/retries.md": 2, "guide/retries.md": 1}, "lang": "zh", "kind": "cross-lingual"}',
      '{"id": "none-1", "query": "What is the CEO\'s salary?", "expect": "refuse", "answer_contains": ["not", "没有"]}',
    ].join('\n');
    const qs = parseQueriesJsonl(text, 'q.jsonl');
    expect(qs.map((q) => q.id)).toEqual(['q1', 'q2', 'q3', 'none-1']);
    expect([...qs[0].gold]).toEqual([['guide/retries.md', 1]]);
    expect(qs[0].answerContains).toEqual(['retry']);
    // several pages: the first is the main one (grade 2)
    expect([...qs[1].gold]).toEqual([['guide/retries.md', 2], ['reference/config.md', 1], ['faq.md', 1]]);
    expect([...qs[2].gold]).toEqual([['zh/guide/retries.md', 2], ['guide/retries.md', 1]]);
    expect(qs[2].line).toBe(4);
    expect(qs[3].gold.size).toBe(0);
    expect(qs[3].expect).toBe('refuse');
  });
  it.each([
    ['{"query": "x", "gold": [1]}', /q.jsonl:1: "gold"/],
    ['{"gold": ["a.md"]}', /q.jsonl:1: missing "query"/],
    ['{"query": "x", "expect": "maybe"}', /"expect"/],
    ['{"query": "x"}\n{"query": "y"', /q.jsonl:2: not valid JSON/],
    ['{"id": "a", "query": "x"}\n{"id": "a", "query": "y"}', /q.jsonl:2: duplicate id "a"/],
  ])('names the file and line of a bad entry: %s', (text, message) => {
    let error: unknown;
    try { parseQueriesJsonl(text, 'q.jsonl'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(LoomError);
    expect((error as LoomError).code).toBe('INPUT_INVALID');
    expect((error as LoomError).message).toMatch(message);
  });
});

describe('BEIR layout', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loom-beir-'));
    await mkdir(join(dir, 'qrels'));
    await writeFile(join(dir, 'corpus.jsonl'), [
      JSON.stringify({ _id: 'd1', title: 'Retries', text: 'Steps retry with backoff.' }),
      JSON.stringify({ _id: 'd2', title: '重试', text: '步骤会按退避策略重试。' }),
      JSON.stringify({ _id: 3, text: 'no title' }),
    ].join('\n'));
    await writeFile(join(dir, 'queries.jsonl'), [
      JSON.stringify({ _id: 'q1', text: 'how do retries work', metadata: { lang: 'en', kind: 'same-language' } }),
      JSON.stringify({ _id: 'q2', text: '重试如何工作' }),
      JSON.stringify({ _id: 'q3', text: 'only in another split' }),
    ].join('\n'));
    await writeFile(join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq2\td2\t1\nq2\t3\t0\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads corpus, judged queries and graded qrels from the folder', async () => {
    const data = await readBeir({ corpus: dir });
    expect(data.documents.map((d) => d.id)).toEqual(['d1', 'd2', '3']);
    expect(data.documents[2].title).toBe('');
    expect(data.queries.map((q) => q.id)).toEqual(['q1', 'q2']);
    expect(data.queries[0]).toMatchObject({ lang: 'en', kind: 'same-language' });
    expect([...data.queries[0].gold]).toEqual([['d1', 2], ['d2', 1]]);
    expect(data.queries[1].gold.get('3')).toBe(0);
  });
  it('finds the split file given the corpus file or the qrels folder', async () => {
    const p = await resolveBeirPaths({ corpus: join(dir, 'corpus.jsonl'), qrels: join(dir, 'qrels') });
    expect(p.qrels).toBe(join(dir, 'qrels', 'test.tsv'));
    expect(p.queries).toBe(join(dir, 'queries.jsonl'));
  });
  it('refuses qrels that judge a document missing from the corpus', async () => {
    const bad = join(dir, 'bad.tsv');
    await writeFile(bad, 'query-id\tcorpus-id\tscore\nq1\tnope\t1\n');
    await expect(readBeir({ corpus: dir, qrels: bad })).rejects.toThrow(/judges document "nope"/);
  });
  it('parses qrels without a header and names a malformed line', () => {
    expect(parseQrels('q1\td1\t1\n', 'x.tsv').get('q1')?.get('d1')).toBe(1);
    expect(() => parseQrels('query-id\tcorpus-id\tscore\nq1\td1\n', 'x.tsv')).toThrow(/x.tsv:2/);
  });
});
