import { describe, expect, it } from 'vitest';
import { questionGroups } from '../steps/lib/question-terms.js';
import { expandQuery } from './crosslingual.js';
import { chineseWords } from './zh-words.js';

describe('one Chinese max-match segmenter for retrieval and answers', () => {
  it('splits an eight-character term the same way for query expansion and question words', () => {
    const question = '应用程序编程接口是什么？';
    expect(chineseWords(question)).toContain('应用程序编程接口');
    // the answer step's question words and retrieval's expansion see the same whole word
    expect(questionGroups(question).map((g) => g.word)).toEqual(['应用程序编程接口']);
    expect(expandQuery(question).terms).toContain('application programming interface');
  });
});
