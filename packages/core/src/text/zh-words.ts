/**
 * The one Chinese word segmenter for queries and questions: forward maximum matching against
 * CC-CEDICT's headwords (cedict.ts). ICU's segmenter cuts technical compounds it does not know
 * into scraps (组件 -> 组 | 件, 订阅源重试 -> 订阅 | 源重 | 试) that match nothing; the dictionary
 * finds the words. Retrieval's query expansion and the offline answer's question words both use
 * this, so one question is split one way. (Backward matching, or the better of both, changed
 * nothing measurable on the eval sets.)
 */
import { loadDirection } from './cedict.js';

/** Longest headword tried: CC-CEDICT has 7- and 8-character entries (中华人民共和国, idioms). */
export const MAX_WORD_LENGTH = 8;
const CJK_RUN = /[\u3400-\u9fff\uf900-\ufaff]+/g;

/** Chinese words of `text` in order, by forward maximum matching; unknown characters come alone. */
export function chineseWords(text: string): string[] {
  const dict = loadDirection('zh');
  const out: string[] = [];
  for (const run of text.match(CJK_RUN) ?? []) {
    let i = 0;
    while (i < run.length) {
      let len = Math.min(MAX_WORD_LENGTH, run.length - i);
      while (len > 1 && !dict.has(run.slice(i, i + len))) len--;
      out.push(run.slice(i, i + len));
      i += len;
    }
  }
  return out;
}
