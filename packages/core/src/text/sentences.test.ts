import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences.js';

describe('splitSentences: English', () => {
  it('splits at . ! ? before a capital or the end', () => {
    expect(splitSentences('Vue is a framework. It is progressive! Is it fast? Yes.')).toEqual([
      'Vue is a framework.', 'It is progressive!', 'Is it fast?', 'Yes.',
    ]);
  });

  it('does not split abbreviations, versions, decimals, URLs or file names', () => {
    const text = 'Use a ref, e.g. Count or Name. Read file.md at https://vuejs.org/guide/intro.html first. Version v1.2 costs 3.14 ms, i.e. Nothing. Ask J. Smith.';
    expect(splitSentences(text)).toEqual([
      'Use a ref, e.g. Count or Name.',
      'Read file.md at https://vuejs.org/guide/intro.html first.',
      'Version v1.2 costs 3.14 ms, i.e. Nothing.',
      'Ask J. Smith.',
    ]);
  });

  it('keeps sentence-ending quotes and brackets with the sentence', () => {
    expect(splitSentences('He said "stop." Then he left. (It was late.) Done.')).toEqual([
      'He said "stop."', 'Then he left.', '(It was late.)', 'Done.',
    ]);
  });

  it('does not split inside inline code and joins soft line breaks', () => {
    expect(splitSentences('Call `a.b. C()` once.\nThen it\nworks. Fine.')).toEqual(['Call `a.b. C()` once.', 'Then it works.', 'Fine.']);
  });
});

describe('splitSentences: Chinese', () => {
  it('splits at 。！？； and ellipses, with closing quotes', () => {
    expect(splitSentences('计算属性会被缓存。侦听器很有用！为什么？因为“它简单。”然后；继续……结束')).toEqual([
      '计算属性会被缓存。', '侦听器很有用！', '为什么？', '因为“它简单。”', '然后；', '继续……', '结束',
    ]);
  });

  it('handles mixed Chinese and English, half-width ! ? after Chinese, and joins CJK lines without a space', () => {
    expect(splitSentences('使用 ref() 声明状态。Then use it. 好!下一句\n继续写')).toEqual([
      '使用 ref() 声明状态。', 'Then use it.', '好!', '下一句继续写',
    ]);
  });
});

describe('splitSentences: Markdown units', () => {
  it('keeps code blocks, list items, table rows and headings whole', () => {
    const text = [
      '## Setup', '', 'First do this. Then that.', '',
      '- item one. Still item one.', '  continued line.', '- item two', '',
      '```js', 'const a = 1. Foo', '', 'bar()', '```', '',
      '| a | b |', '| --- | --- |', '| 1 | 2 |', '', '::: tip Note', 'Inside the tip. Two sentences.', ':::',
    ].join('\n');
    expect(splitSentences(text)).toEqual([
      '## Setup', 'First do this.', 'Then that.',
      '- item one. Still item one. continued line.', '- item two',
      '```js\nconst a = 1. Foo\n\nbar()\n```',
      '| a | b |', '| 1 | 2 |', 'Note', 'Inside the tip.', 'Two sentences.',
    ]);
  });

  it('returns nothing for blank text', () => {
    expect(splitSentences('  \n\n ')).toEqual([]);
  });
});
