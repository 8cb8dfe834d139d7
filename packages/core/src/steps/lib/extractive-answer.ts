import { loadDirection } from '../../text/cedict.js';
import { tokenize } from '../../text/segment.js';
import { contentTerms, countWords, hasCjk, idfOf, isStopWord, stem } from './lexical.js';
import { proseSentences, type Passage } from './passages.js';

/*
 * The offline answer: the passage sentences that best cover the question's content words.
 * Each question word is a group of alternatives (its stem plus, across languages, its
 * dictionary translations), and a sentence's coverage is the share of groups it matches.
 * Coverage, not retrieval score, decides whether to answer: hybrid retrieval always returns
 * something, and an unrelated question must still be refused.
 */

export interface TermGroup { word: string; alternatives: Set<string> }

export interface ExtractivePick {
  n: number;
  sentence: string;
  /** share of question words matched */
  coverage: number;
  /** the same, each word weighted by its rarity among the passages' sentences */
  weighted: number;
  score: number;
  sameLang: boolean;
}

export interface ExtractiveResult {
  picks: ExtractivePick[];
  /** best sentence coverage found (0..1) */
  best: number;
  grounded: boolean;
}

export interface ExtractiveAnswerOptions {
  /** dictionary translations of one question word (cross-lingual); default none */
  expand?: (word: string) => string[];
  maxSentences?: number;
  /** minimum coverage of the best sentence to answer at all */
  threshold?: number;
  /** minimum rarity-weighted coverage of a sentence passing `threshold` */
  weightedThreshold?: number;
  /** the question's language: sentences in it are preferred when they answer well enough */
  lang?: string;
  /** a passage's language (default: its `lang` field) */
  passageLang?: (p: Passage) => string | undefined;
}

/**
 * Tuned with `loom eval answers` on examples/eval (61 questions over examples/community-docs,
 * top-6 hybrid hits): coverage 0.4 plus a rarity-weighted coverage of 0.3 answered 67% of the
 * answerable questions and refused 5 of the 7 near-domain questions the docs do not answer
 * ("Does the web interface have a dark theme?": web and interface are everywhere, dark and
 * theme nowhere). Clearly unrelated questions stay at or below 1/3.
 */
export const DEFAULT_THRESHOLD = 0.4;
export const DEFAULT_WEIGHTED_THRESHOLD = 0.3;

const CJK_RUN = /[\u3400-\u9fff\uf900-\ufaff]+/g;
const MAX_WORD = 6;

/**
 * Chinese words of a question by forward maximum matching against CC-CEDICT: the segmenter
 * cuts unknown compounds into scraps (订阅源重试 -> 订阅 | 源重 | 试) that match nothing.
 */
export function chineseWords(text: string): string[] {
  const dict = loadDirection('zh');
  const out: string[] = [];
  for (const run of text.match(CJK_RUN) ?? []) {
    let i = 0;
    while (i < run.length) {
      let len = Math.min(MAX_WORD, run.length - i);
      while (len > 1 && !dict.has(run.slice(i, i + len))) len--;
      out.push(run.slice(i, i + len));
      i += len;
    }
  }
  // single characters (会, 源, 发) are particles or too ambiguous to count as a question word
  return out.filter((w) => w.length > 1 && !isStopWord(w));
}

/** Question words, each with the pieces tokenize() splits it into (SQLite -> sqlite, sq, lite). */
function questionWords(question: string): string[][] {
  const latin = (question.replace(CJK_RUN, ' ').match(/[\p{L}\p{N}][\p{L}\p{N}._'’-]*/gu) ?? []).map((w) => tokenize(w)).filter((t) => t.length > 0);
  return [...latin, ...chineseWords(question).map((w) => [w])];
}

export function questionGroups(question: string, expand?: (word: string) => string[]): TermGroup[] {
  const groups = new Map<string, TermGroup>();
  const words = questionWords(question);
  words.forEach((pieces, i) => {
    const token = pieces[0];
    const stems = hasCjk(token) ? [token] : pieces.flatMap((p) => contentTerms(p));
    if (stems.length === 0 || isStopWord(token)) return;
    const group = groups.get(stems[0]) ?? { word: token, alternatives: new Set<string>() };
    for (const s of stems) group.alternatives.add(s);
    // "back up" is also "backup", "set up" also "setup"
    const next = words[i + 1]?.[0];
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

function matches(g: TermGroup, terms: Set<string>, raw: string): boolean {
  // substring matching for CJK needs two characters: one (试) is inside too many other words
  for (const alt of g.alternatives) if (terms.has(alt) || (alt.length > 1 && hasCjk(alt) && raw.includes(alt))) return true;
  return false;
}

interface Candidate { n: number; rank: number; text: string; terms: Set<string>; sameLang: boolean }

export function extractiveAnswer(question: string, passages: Passage[], options: ExtractiveAnswerOptions = {}): ExtractiveResult {
  const groups = questionGroups(question, options.expand);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (groups.length === 0) return { picks: [], best: 0, grounded: false };
  const langOf = options.passageLang ?? ((p: Passage) => p.lang);
  const base = (l: string | undefined) => (l ?? '').split(/[-_]/)[0];
  const sentences: Candidate[] = passages.flatMap((p, rank) => {
    const sameLang = !options.lang || base(langOf(p)) === base(options.lang);
    return proseSentences(p.text, { tableRows: true }).filter((t) => countWords(t) >= 4).map((text) => ({ n: p.n, rank, text, terms: new Set(contentTerms(text)), sameLang }));
  });
  // rarer words say more about what a sentence is about: "retry" beats "feed" in a feed reader's docs
  const idf = idfOf(sentences.map((s) => [...s.terms]));
  const unseen = Math.log(1 + (sentences.length + 1));
  const weights = groups.map((g) => Math.max(...[...g.alternatives].map((a) => idf.get(a) ?? 0), 0) || unseen);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const passageCover = new Map(passages.map((p) => {
    // the heading path says what the passage is about, so it counts here (not for sentences)
    const text = `${p.heading}\n${p.text}`;
    const terms = new Set(contentTerms(text));
    return [p.n, groups.filter((g) => matches(g, terms, text)).length / groups.length];
  }));
  // two question words must meet in one sentence (one when the question has only one)
  const needed = Math.min(2, groups.length);
  const candidates: ExtractivePick[] = [];
  for (const s of sentences) {
    const hit = groups.map((g) => matches(g, s.terms, s.text));
    const matched = hit.filter(Boolean).length;
    if (matched < needed) continue;
    const coverage = matched / groups.length;
    const weighted = hit.reduce((sum, h, k) => sum + (h ? weights[k] : 0), 0) / totalWeight;
    // a table row ("a | b") answers only when no sentence says it as well
    const prose = s.text.includes(' | ') ? 0.97 : 1;
    const score = prose * (0.5 * coverage + 0.25 * weighted + 0.2 * (passageCover.get(s.n) ?? 0) + 0.05 / (s.rank + 1));
    candidates.push({ n: s.n, sentence: s.text, coverage, weighted, score, sameLang: s.sameLang });
  }
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates.reduce((m, c) => Math.max(m, c.coverage), 0);
  const weightedBest = candidates.reduce((m, c) => (c.coverage >= threshold ? Math.max(m, c.weighted) : m), 0);
  if (best < threshold || weightedBest < (options.weightedThreshold ?? DEFAULT_WEIGHTED_THRESHOLD)) return { picks: [], best, grounded: false };
  // quotes in the reader's language when those answer well enough; the other language otherwise
  const ownBest = candidates.reduce((m, c) => (c.sameLang ? Math.max(m, c.coverage) : m), 0);
  const pool = ownBest >= Math.max(threshold, best * 0.75) ? candidates.filter((c) => c.sameLang) : candidates;
  const poolBest = pool.reduce((m, c) => Math.max(m, c.coverage), 0);
  const floor = Math.max(threshold, poolBest * 0.6);
  const picks: ExtractivePick[] = [];
  const seen = new Set<string>();
  for (const c of pool) {
    if (picks.length >= (options.maxSentences ?? 3)) break;
    const key = c.sentence.toLowerCase().replace(/\s+/g, ' ');
    if (c.coverage < floor || seen.has(key)) continue;
    seen.add(key);
    picks.push(c);
  }
  return { picks, best, grounded: picks.length > 0 };
}
