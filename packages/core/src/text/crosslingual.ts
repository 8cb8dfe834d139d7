/**
 * Dictionary query expansion with CC-CEDICT (the cc-cedict package's data, compacted and
 * cached by cedict.ts): Chinese words -> short English glosses, English words -> Chinese
 * headwords. It lets a lexical search reach a page in the other language when the words are in
 * the dictionary; it is no translator (CC-CEDICT has no word frequencies, so an English word
 * gets several candidate headwords, and search terms absent from an index cost nothing).
 */
import { type CompactMap, loadDirection } from './cedict.js';
import { detectLanguageSync } from './lang.js';
import { isStopword, tokenize } from './segment.js';
import { chineseWords } from './zh-words.js';

const GLOSSES_PER_WORD = 3;
const HEADWORDS_PER_WORD = 4;

const values = (map: CompactMap, key: string): string[] => map.get(key)?.split('|') ?? [];

function chineseToEnglish(query: string): string[] {
  const zh = loadDirection('zh');
  const content = chineseWords(query).filter((w) => !isStopword(w));
  const multi = content.filter((w) => w.length > 1);
  // single characters only when the query has nothing longer: 组 alone means too many things
  const use = multi.length > 0 ? multi : content;
  return interleave(use.map((w) => values(zh, w).slice(0, GLOSSES_PER_WORD)));
}

/** English lemmas worth looking up: the word, then a singular or base form. */
function lemmas(word: string): string[] {
  const out = [word];
  if (/ies$/.test(word)) out.push(word.slice(0, -3) + 'y');
  else if (/(?:s|x|ch|sh)es$/.test(word)) out.push(word.slice(0, -1), word.slice(0, -2)); // caches, boxes
  else if (/[^s]s$/.test(word)) out.push(word.slice(0, -1));
  if (/ed$/.test(word)) out.push(word.slice(0, -2), word.slice(0, -1));
  if (/ing$/.test(word)) out.push(word.slice(0, -3), word.slice(0, -3) + 'e');
  return out;
}

function englishToChinese(query: string): string[] {
  const en = loadDirection('en');
  const tokens = tokenize(query).filter((t) => /^[a-z]{3,}$/.test(t) && !isStopword(t));
  const lists: string[][] = [];
  // two-word phrases first ("dependency injection"), then single words
  for (let i = 0; i + 1 < tokens.length; i++) {
    const phrase = values(en, `${tokens[i]} ${tokens[i + 1]}`);
    if (phrase.length > 0) lists.push(phrase.slice(0, 2));
  }
  for (const token of tokens) {
    // "components": the plural's own entries and the singular's, best of each first
    const found = interleave(lemmas(token).map((l) => values(en, l)));
    if (found.length > 0) lists.push(found.slice(0, HEADWORDS_PER_WORD));
  }
  return interleave(lists);
}

/** Round-robin over each word's list, so every query word gets its best term before any gets a second. */
function interleave(lists: string[][]): string[] {
  const out = new Set<string>();
  const depth = Math.max(0, ...lists.map((l) => l.length));
  for (let r = 0; r < depth; r++) for (const list of lists) if (list[r]) out.add(list[r]);
  return [...out];
}

/**
 * Dictionary query expansion: for a Chinese query, English glosses of its words (CC-CEDICT);
 * for an English query, Chinese headwords of its content words. `terms` never repeats the
 * query's own words; `lang` is the detected language of the query.
 */
export function expandQuery(query: string, options: { maxTerms?: number } = {}): { terms: string[]; lang: string } {
  const maxTerms = options.maxTerms ?? 8;
  const lang = detectLanguageSync(query);
  if (!query.trim() || maxTerms <= 0) return { terms: [], lang };
  const raw = /[\u3400-\u9fff]/.test(query) ? chineseToEnglish(query) : englishToChinese(query);
  const own = new Set(tokenize(query));
  const terms = raw.filter((t) => !own.has(t)).slice(0, maxTerms);
  return { terms, lang };
}
