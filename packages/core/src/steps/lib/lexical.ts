import { tokenize } from '../../text/segment.js';

/*
 * Lexical helpers shared by the offline (extractive) paths and the citation quotes:
 * content terms (stop words dropped, English lightly stemmed), IDF-weighted term vectors,
 * cosine similarity, and a word count that treats one CJK character as one word.
 */

const EN_STOP = new Set(
  ('a about above after again all also am an and any are as at be been before being below between both but by can ' +
    'could did do does doing done down during each either else etc few for from further get gets got had has have having ' +
    'he her here hers him his how i if in into is it its itself just let lets me might more most much must my no nor not ' +
    'now of off on once only or other our ours out over own please same shall she should so some such than that the their ' +
    'theirs them then there these they this those through to too under until up upon us use used uses using very via was ' +
    'we were what when where whether which while who whom whose why will with within without would yes yet you your yours ' +
    's t don doesn isn aren won can\'t don\'t doesn\'t i\'m it\'s need want way make thing things one')
    .split(' '),
);

const ZH_STOP = new Set(
  ('的 了 是 在 和 与 及 或 也 就 都 而 并 且 但 把 被 对 从 到 给 让 向 于 以 之 其 这 那 这个 那个 这些 那些 这样 那样 ' +
    '我 你 您 他 她 它 我们 你们 他们 它们 自己 什么 怎么 怎样 怎么样 如何 为什么 为何 哪 哪些 哪个 哪里 吗 呢 吧 啊 呀 ' +
    '嗯 哦 个 些 能 能够 可以 会 要 想 应该 需要 该 还 又 再 很 更 最 非常 一个 一些 有 没有 没 不 是否 如果 因为 所以 ' +
    '时 时候 请 请问 问 一下 下 中 上 里 用 通过 进行 得 地 着 过 么 以后 之后 以前 有些 一直 这种 那种 要不 要不要 已经 现在 知道 知道了 老是 不到 ' +
    '第一 不能 能不能 可不可以 是不是 有没有 怎么办 办 一样 比较 还是 然后 就是 其实 东西')
    .split(' '),
);

const HAS_CJK = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
const HAS_WORDISH = /[\p{L}\p{N}]/u;

/** Lowercase English stem, light on purpose: enough to match retry/retries/retried, configure/configured. */
export function stem(word: string): string {
  if (HAS_CJK.test(word) || word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('ied') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  // configuration -> configur (as configure, configured), information -> inform
  if (w.endsWith('ation') && w.length >= 9) return w.slice(0, -5);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  // doubled final consonant after -ing/-ed: "stopped" -> "stopp" -> "stop"
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  return w;
}

export function isStopWord(token: string): boolean {
  return EN_STOP.has(token) || ZH_STOP.has(token);
}

/** Content terms of a text: tokenize(), stop words and pure punctuation dropped, English stemmed. */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    if (!HAS_WORDISH.test(token) || isStopWord(token)) continue;
    // single Latin letters and lone digits carry no meaning on their own
    if (token.length === 1 && !HAS_CJK.test(token)) continue;
    out.push(stem(token));
    // `fetch.retry`, `max-attempts`: the parts are words too
    if (/[._:/-]/.test(token)) {
      for (const part of token.split(/[._:/-]+/)) {
        if (part.length > 1 && part !== token && !isStopWord(part) && HAS_WORDISH.test(part)) out.push(stem(part));
      }
    }
  }
  return out;
}

/**
 * Words for length limits: each CJK character counts as one word (a Chinese word is
 * 1-3 characters, so this errs on the short side), each run of other letters/digits as one.
 */
export function countWords(text: string): number {
  const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/g)?.length ?? 0;
  const other = text.replace(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/g, ' ').match(/[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu)?.length ?? 0;
  return cjk + other;
}

export function hasCjk(text: string): boolean {
  return HAS_CJK.test(text);
}

export type TermVector = Map<string, number>;

/** Inverse document frequency over a set of term lists (smoothed, always > 0). */
export function idfOf(docs: string[][]): Map<string, number> {
  const df = new Map<string, number>();
  for (const terms of docs) for (const t of new Set(terms)) df.set(t, (df.get(t) ?? 0) + 1);
  const n = docs.length;
  const idf = new Map<string, number>();
  for (const [t, d] of df) idf.set(t, Math.log(1 + (n + 1) / d));
  return idf;
}

export function tfidfVector(terms: string[], idf: Map<string, number>, fallbackIdf = 1): TermVector {
  const v: TermVector = new Map();
  for (const t of terms) v.set(t, (v.get(t) ?? 0) + 1);
  for (const [t, tf] of v) v.set(t, (1 + Math.log(tf)) * (idf.get(t) ?? fallbackIdf));
  return v;
}

export function cosine(a: TermVector, b: TermVector): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [t, w] of small) {
    const o = large.get(t);
    if (o !== undefined) dot += w * o;
  }
  if (dot === 0) return 0;
  return dot / (norm(a) * norm(b));
}

function norm(v: TermVector): number {
  let s = 0;
  for (const w of v.values()) s += w * w;
  return Math.sqrt(s);
}
