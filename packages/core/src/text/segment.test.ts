import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PIECE_CHARS, isStopword, scanWords, segmentForIndex, splitPieces, tokenize } from './segment.js';

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });
const icuWords = (text: string) => [...segmenter.segment(text)].filter((s) => s.isWordLike).map((s) => s.segment.toLowerCase());

describe('tokenize', () => {
  it('splits mixed Chinese text with code into words, keeping API names', () => {
    const tokens = tokenize('在模板中使用 `ref()` 和 v-model 实现双向绑定。');
    expect(tokens).toEqual(expect.arrayContaining(['模板', '使用', 'ref', '和', 'v', 'model', '双向']));
    expect(tokens).not.toContain('`');
    expect(tokens.every((t) => t === t.toLowerCase())).toBe(true);
  });

  it('segments Japanese and Korean', () => {
    expect(tokenize('コンポーネントは再利用可能なインスタンスです')).toEqual(expect.arrayContaining(['コンポーネント', 'インスタンス', '再', '利用']));
    expect(tokenize('컴포넌트를 등록하는 방법')).toEqual(['컴포넌트를', '등록하는', '방법']);
  });

  it('keeps identifiers whole and adds their camelCase and snake_case parts', () => {
    expect(tokenize('defineComponent')).toEqual(['definecomponent', 'define', 'component']);
    expect(tokenize('user_name')).toEqual(['user_name', 'user', 'name']);
    expect(tokenize('HTMLElement onMounted')).toEqual(['htmlelement', 'html', 'element', 'onmounted', 'on', 'mounted']);
    expect(tokenize('Vue is fine')).toEqual(['vue', 'is', 'fine']);
  });

  it('treats dots, apostrophes and colons as UAX #29 does', () => {
    expect(tokenize("e.g. v1.2.3 3.14 file.md it's 1,000 https://vuejs.org/guide")).toEqual(
      ['e.g', 'v1.2.3', '3.14', 'file.md', "it's", '1,000', 'https', 'vuejs.org', 'guide'],
    );
  });

  it('gives the same tokens as Intl.Segmenter on ASCII (the fast path is only faster)', () => {
    const samples = [
      readFileSync(new URL('./segment.ts', import.meta.url), 'utf8'),
      "std:c a:b 1;2 a'1 x_y _foo foo_ 0x1F 1e10 foo--bar $refs #app @click :is U.S.A. a..b",
    ];
    for (const text of samples) {
      // compare without identifier parts, which tokenize adds on purpose
      const plain = text.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/([A-Za-z0-9])_([A-Za-z0-9])/g, '$1 $2');
      expect(tokenize(plain)).toEqual(icuWords(plain));
    }
  });

  it('normalises full-width forms (NFKC) and lower-cases', () => {
    expect(tokenize('ＶＵＥ　３')).toEqual(['vue', '3']);
  });

  it('segments long text in pieces without losing or splitting words', () => {
    const sentence = '计算属性会基于其响应式依赖被缓存，一个计算属性仅会在其响应式依赖更新时才重新计算。Computed caching is useful. ';
    const long = sentence.repeat(200);
    const tokens = tokenize(long);
    expect(tokens.length).toBe(tokenize(sentence).length * 200);
  });

  it('returns nothing for empty or punctuation-only text', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' ，。!? --- ')).toEqual([]);
  });
});

describe('splitPieces', () => {
  it('cuts at whitespace or punctuation, at most PIECE_CHARS long, and loses nothing', () => {
    const text = 'word '.repeat(1000);
    const pieces = splitPieces(text);
    expect(pieces.join('')).toBe(text);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(PIECE_CHARS);
    expect(pieces.every((p) => p.endsWith(' '))).toBe(true);
  });

  it('never cuts a surrogate pair in text without spaces', () => {
    const text = '𠀀汉字😀'.repeat(300); // astral characters are two UTF-16 units
    const pieces = splitPieces(text, 101);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(101);
      expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
    }
  });
});

describe('segmentForIndex and isStopword', () => {
  it('joins tokens with single spaces for FTS5', () => {
    expect(segmentForIndex('如何使用计算属性？')).toBe('如何 使用 计算 属性');
    expect(segmentForIndex('Hello,   World!')).toBe('hello world');
  });

  it('knows English and Chinese function words and nothing else', () => {
    expect(['the', 'of', 'is', '的', '了'].every(isStopword)).toBe(true);
    expect(['vue', 'component', '组件', 'ref'].some(isStopword)).toBe(false);
  });
});

describe('scanWords (the embedder\'s scan)', () => {
  it('hands over whole Han/kana runs and the same Latin words as tokenize', () => {
    const words: string[] = [];
    const runs: string[] = [];
    scanWords('使用 defineProps() 声明组件的props。', (w) => words.push(w), (r) => runs.push(r));
    expect(words).toEqual(['defineprops', 'define', 'props', 'props']);
    expect(runs).toEqual(['使用', '声明组件的']);
  });
});
