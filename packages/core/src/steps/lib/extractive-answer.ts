import { blockAfter, normaliseQuote } from './block-after.js';
import { contentTerms, countWords, idfOf } from './lexical.js';
import { proseUnits, type Passage, type ProseUnit } from './passages.js';
import { matchesGroup, questionGroups, type TermGroup } from './question-terms.js';

export { chineseWords, questionGroups, type TermGroup } from './question-terms.js';

/*
 * The offline answer: the passage sentences that best cover the question's content words.
 * Each question word is a group of alternatives (its stem plus, across languages, its
 * dictionary translations), and a sentence's coverage is the share of groups it matches.
 * Coverage, not retrieval score, decides whether to answer: hybrid retrieval always returns
 * something, and an unrelated question must still be refused.
 */

export interface ExtractivePick {
  n: number;
  sentence: string;
  /** the code block, table or list the sentence introduces ("… as follows:"), quoted with it */
  block?: string;
  /** position of the sentence among its passage's sentences */
  index: number;
  /** share of question words matched (by the sentence and its block) */
  coverage: number;
  /** the same, each word weighted by its rarity among the passages' sentences */
  weighted: number;
  score: number;
  sameLang: boolean;
}

export interface ExtractiveResult {
  /** in reading order: the best sentence's passage first, each passage's sentences in source order */
  picks: ExtractivePick[];
  /** best sentence coverage found (0..1) */
  best: number;
  /** best rarity-weighted coverage among sentences reaching the coverage threshold (0..1) */
  weightedBest: number;
  grounded: boolean;
}

export interface ExtractiveAnswerOptions {
  /** dictionary translations of one question word (cross-lingual); default none */
  expand?: (word: string) => string[];
  /** at most this many sentences (default 5) */
  maxSentences?: number;
  /** length budget of the quoted sentences, blocks aside, in words (a CJK character is half a word) */
  maxWords?: number;
  /** at most this many passages quoted (default 2) */
  maxPassages?: number;
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
 * top-6 hybrid hits) and checked on the Vue docs questions (bench/vue-eval) and on near-domain
 * and unrelated questions for both corpora: with names checked (missingName) and blocks counted,
 * coverage 0.3 plus a rarity-weighted coverage of 0.3 answers more questions than 0.4/0.3 did
 * without, and refuses more of those the docs do not answer ("Does the web interface have a
 * dark theme?": web and interface are everywhere, dark and theme nowhere).
 */
export const DEFAULT_THRESHOLD = 0.3;
export const DEFAULT_WEIGHTED_THRESHOLD = 0.3;
export const DEFAULT_MAX_WORDS = 120;

interface Unit extends ProseUnit { n: number; rank: number; index: number; sameLang: boolean; block?: string; terms: Set<string>; raw: string; own: Set<string> }

interface Candidate extends ExtractivePick {
  hits: boolean[];
  /** enough question words meet in it to answer from it */
  strong: boolean;
  /** holds a value a reader may be after: inline code, a number, a block */
  valued: boolean;
  words: number;
}

/** A length that treats a CJK character as half a word (a Chinese word is about two characters). */
function answerWords(text: string): number {
  const cjk = text.match(/[\u3400-\u9fff\uf900-\ufaff]/g)?.length ?? 0;
  return countWords(text) - cjk / 2;
}

function units(passages: Passage[], options: ExtractiveAnswerOptions): Unit[] {
  const langOf = options.passageLang ?? ((p: Passage) => p.lang);
  const base = (l: string | undefined) => (l ?? '').split(/[-_]/)[0];
  return passages.flatMap((p, rank) => {
    const sameLang = !options.lang || base(langOf(p)) === base(options.lang);
    return proseUnits(p.text, { tableRows: true })
      .map((u, index) => {
        const after = blockAfter(p.text, u.text);
        // the block is quoted with its sentence, so its words count (not the fence's info string)
        const raw = after ? `${u.text}\n${after.prose}` : u.text;
        return { ...u, n: p.n, rank, index, sameLang, block: after?.text, terms: new Set(contentTerms(raw)), raw, own: new Set(contentTerms(u.text)) };
      })
      // table rows are short by nature ("`refresh_interval` | `fetch.interval`")
      .filter((u) => countWords(u.text) >= (u.kind === 'row' ? 2 : 4))
      // a chunk that starts mid-sentence ("doubled after each failed round, …") starts with a scrap
      .filter((u) => u.index > 0 || !/^\p{Ll}/u.test(u.text));
  });
}

/**
 * The key words an answer must quote: the Latin words of a Chinese question (the API it asks
 * about: vnode, provide) unless they are everywhere in the passages (a product's own name).
 */
function requiredKeys(groups: TermGroup[], all: Unit[]): number[] {
  const keys: number[] = [];
  groups.forEach((g, k) => {
    if (!g.key) return;
    const share = all.filter((u) => matchesGroup(g, u.terms, u.raw)).length / Math.max(1, all.length);
    if (share <= 0.5) keys.push(k);
  });
  return keys;
}

function candidates(groups: TermGroup[], passages: Passage[], options: ExtractiveAnswerOptions): { list: Candidate[]; keys: number[] } {
  const all = units(passages, options);
  // rarer words say more about what a sentence is about: "retry" beats "feed" in a feed reader's docs
  const idf = idfOf(all.map((s) => [...s.terms]));
  const unseen = Math.log(1 + (all.length + 1));
  const weights = groups.map((g) => Math.max(...[...g.alternatives].map((a) => idf.get(a) ?? 0), 0) || unseen);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const passageCover = new Map(passages.map((p) => {
    // the heading path says what the passage is about, so it counts here (not for sentences)
    const text = `${p.heading}\n${p.text}`;
    const terms = new Set(contentTerms(text));
    return [p.n, groups.filter((g) => matchesGroup(g, terms, text)).length / groups.length];
  }));
  // two question words must meet in one sentence (one when the question has only one)
  const needed = Math.min(2, groups.length);
  const out: Candidate[] = [];
  for (const u of all) {
    const hits = groups.map((g) => matchesGroup(g, u.terms, u.raw));
    const matched = hits.filter(Boolean).length;
    if (matched === 0) continue;
    const coverage = matched / groups.length;
    const weighted = hits.reduce((sum, h, k) => sum + (h ? weights[k] : 0), 0) / totalWeight;
    // a table row ("a | b") answers only when no sentence says it as well
    const prose = u.kind === 'row' ? 0.97 : 1;
    // what the sentence says itself weighs more than what its block happens to contain
    const said = u.block ? groups.filter((g) => matchesGroup(g, u.own, u.text)).length / groups.length : coverage;
    const score = prose * (0.4 * coverage + 0.1 * said + 0.25 * weighted + 0.2 * (passageCover.get(u.n) ?? 0) + 0.05 / (u.rank + 1));
    out.push({
      n: u.n, sentence: u.text, block: u.block, index: u.index, coverage, weighted, score, sameLang: u.sameLang,
      hits, strong: matched >= needed, valued: u.block !== undefined || /`[^`]+`|\d/.test(u.text), words: answerWords(u.text),
    });
  }
  return { list: out.sort((a, b) => b.score - a.score), keys: requiredKeys(groups, all) };
}

export function extractiveAnswer(question: string, passages: Passage[], options: ExtractiveAnswerOptions = {}): ExtractiveResult {
  const groups = questionGroups(question, options.expand);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const none = { picks: [], best: 0, weightedBest: 0, grounded: false };
  if (groups.length === 0 || missingName(groups, passages)) return none;
  const { list: any, keys } = candidates(groups, passages, options);
  // a sentence naming what the question asks about goes before one that only shares its other words
  const named = (c: Candidate) => keys.filter((k) => c.hits[k]).length;
  const all = any.filter((c) => c.strong).sort((a, b) => named(b) - named(a) || b.score - a.score);
  const best = all.reduce((m, c) => Math.max(m, c.coverage), 0);
  const weightedBest = all.reduce((m, c) => (c.coverage >= threshold ? Math.max(m, c.weighted) : m), 0);
  if (best < threshold || weightedBest < (options.weightedThreshold ?? DEFAULT_WEIGHTED_THRESHOLD)) return { ...none, best, weightedBest };
  // quotes in the reader's language when those answer well enough; the other language otherwise
  const ownBest = all.reduce((m, c) => (c.sameLang ? Math.max(m, c.coverage) : m), 0);
  const ownOnly = ownBest >= Math.max(threshold, best * 0.75);
  const picks = choose(ownOnly ? all.filter((c) => c.sameLang) : all, ownOnly ? any.filter((c) => c.sameLang) : any, threshold, options);
  // sentences that share the question's common words but never name what it asks about do not answer it
  if (!keys.every((k) => picks.some((p) => p.hits[k]))) return { ...none, best, weightedBest };
  return { picks: readingOrder(picks), best, weightedBest, grounded: picks.length > 0 };
}

/**
 * A name the question asks about (Heroku, WebSub, MySQL) that no passage mentions: the
 * passages are about something else, however many other words they share with the question.
 */
function missingName(groups: TermGroup[], passages: Passage[]): boolean {
  const named = groups.filter((g) => g.name);
  if (named.length === 0) return false;
  const text = passages.map((p) => `${p.heading}\n${p.text}`).join('\n');
  const terms = new Set(contentTerms(text));
  // the whole name or a translation, not a piece of it (WebSub is not "web")
  const whole = (g: TermGroup) => new Set([...g.alternatives].filter((a) => a === g.name || !g.name!.includes(a)));
  return named.some((g) => !matchesGroup({ ...g, alternatives: whole(g) }, terms, text));
}

/**
 * The best sentence, the value-bearing sentences around it (the default or the command a
 * question is after is often in the next sentence), the other good sentences, then their
 * value-bearing neighbours, within the length budget and at most `maxPassages` passages.
 */
function choose(pool: Candidate[], neighbours: Candidate[], threshold: number, options: ExtractiveAnswerOptions): Candidate[] {
  const floor = Math.max(threshold, pool.reduce((m, c) => Math.max(m, c.coverage), 0) * 0.6);
  const maxSentences = options.maxSentences ?? 5;
  const budget = options.maxWords ?? DEFAULT_MAX_WORDS;
  const maxPassages = options.maxPassages ?? 2;
  const maxBlocks = 2;
  const picks: Candidate[] = [];
  const seen = new Set<string>();
  let words = 0;
  let blocks = 0;
  const take = (c: Candidate) => {
    const key = normaliseQuote(c.sentence);
    if (picks.length >= maxSentences || seen.has(key) || (picks.length > 0 && words + c.words > budget)) return;
    // a third "… as follows:" would promise a block the answer lacks
    if (c.block && blocks >= maxBlocks) return;
    if (!picks.some((p) => p.n === c.n) && new Set(picks.map((p) => p.n)).size >= maxPassages) return;
    seen.add(key);
    picks.push(c);
    words += c.words;
    if (c.block) blocks++;
  };
  const near = (c: Candidate, around: Candidate[]) => c.valued && around.some((p) => p.n === c.n && Math.abs(p.index - c.index) <= 2);
  const primary = pool.filter((c) => c.coverage >= floor);
  if (primary.length) take(primary[0]);
  const anchor = [...picks];
  for (const c of neighbours) if (near(c, anchor)) take(c);
  for (const c of primary) take(c);
  const chosen = [...picks];
  for (const c of neighbours) if (near(c, chosen)) take(c);
  return picks;
}

/**
 * The best sentence's passage first, then the others by their best sentence; each in source
 * order. A list item or table row already inside a quoted block is not repeated.
 */
function readingOrder(picks: Candidate[]): ExtractivePick[] {
  const first = new Map<number, number>();
  picks.forEach((p, i) => { if (!first.has(p.n)) first.set(p.n, i); });
  const ordered = [...picks].sort((a, b) => first.get(a.n)! - first.get(b.n)! || a.index - b.index);
  const shown = ordered.filter((p) => p.block).map((p) => normaliseQuote(p.block!));
  return ordered
    .filter((p) => p.block || !shown.some((b) => b.includes(normaliseQuote(p.sentence))))
    .map((c) => ({ n: c.n, sentence: c.sentence, block: c.block, index: c.index, coverage: c.coverage, weighted: c.weighted, score: c.score, sameLang: c.sameLang }));
}
