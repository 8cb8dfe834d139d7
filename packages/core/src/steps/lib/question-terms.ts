import { chineseWords as dictionaryWords } from '../../text/zh-words.js';
import { tokenize } from '../../text/segment.js';
import { contentTerms, hasCjk, isStopWord, stem } from './lexical.js';

/*
 * The content words of a question, for the offline answer and its refusal test. Each question
 * word is a group of alternatives (its stems plus, across languages, its dictionary
 * translations); a text matches the group when it has any of them.
 */

export interface TermGroup {
  word: string;
  alternatives: Set<string>;
  /** written like a name (Heroku, MySQL, WebSub): a question about it needs it, whole, in the sources */
  name?: string;
  /** a Latin word in a Chinese question (vnode, provide): the API or name the question is about */
  key?: boolean;
}

const CJK_RUN = /[\u3400-\u9fff\uf900-\ufaff]+/g;
/** Chinese content words of a question (the shared max-match segmenter, text/zh-words.ts). */
export function chineseWords(text: string): string[] {
  // single characters (会, 源, 发) are particles or too ambiguous to count as a question word
  return dictionaryWords(text).filter((w) => w.length > 1 && !isStopWord(w));
}

interface QuestionWord { pieces: string[]; named: boolean; key: boolean }

const LATIN_WORD = /[\p{L}\p{N}][\p{L}\p{N}._'’-]*/gu;

/** Question words, each with the pieces tokenize() splits it into (SQLite -> sqlite, sq, lite). */
function questionWords(question: string): QuestionWord[] {
  const cjk = hasCjk(question);
  const latin: QuestionWord[] = [];
  for (const m of question.replace(CJK_RUN, ' ').matchAll(LATIN_WORD)) {
    const pieces = tokenize(m[0]);
    if (pieces.length === 0) continue;
    // a capital opening an English sentence is grammar, not a name
    const opening = !cjk && /(^|[.!?:;]\s+|["“(]\s*)$/.test(question.slice(0, m.index));
    latin.push({ pieces, named: !opening && /\p{Lu}/u.test(m[0]), key: cjk });
  }
  return [...latin, ...chineseWords(question).map((w) => ({ pieces: [w], named: false, key: false }))];
}

export function questionGroups(question: string, expand?: (word: string) => string[]): TermGroup[] {
  const groups = new Map<string, TermGroup>();
  const words = questionWords(question);
  words.forEach(({ pieces, named, key }, i) => {
    const token = pieces[0];
    const stems = hasCjk(token) ? [token] : pieces.flatMap((p) => contentTerms(p));
    if (stems.length === 0 || isStopWord(token)) return;
    const group: TermGroup = groups.get(stems[0]) ?? { word: token, alternatives: new Set<string>() };
    if (named) group.name = stems[0];
    if (key) group.key = true;
    for (const s of stems) group.alternatives.add(s);
    // "back up" is also "backup", "set up" also "setup"
    const next = words[i + 1]?.pieces[0];
    if (next && /^[a-z]+$/.test(token + next)) group.alternatives.add(stem(token + next));
    for (const translation of expand?.(token) ?? []) {
      // (single CJK characters from a split gloss, 重 of 重试, match far too much)
      for (const t of contentTerms(translation)) if (!(t.length === 1 && hasCjk(t))) group.alternatives.add(t);
      // a Chinese gloss is matched as a string too, whatever the segmenter made of it
      if (hasCjk(translation)) group.alternatives.add(translation.trim());
    }
    groups.set(stems[0], group);
  });
  return [...groups.values()];
}

/** Whether a text (its content terms, and its raw form for Chinese substrings) has one of the group's words. */
export function matchesGroup(g: TermGroup, terms: Set<string>, raw: string): boolean {
  // substring matching for CJK needs two characters: one (试) is inside too many other words
  for (const alt of g.alternatives) if (terms.has(alt) || (alt.length > 1 && hasCjk(alt) && raw.includes(alt))) return true;
  return false;
}
