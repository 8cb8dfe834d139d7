import { contentTerms, cosine, countWords, hasCjk, idfOf, tfidfVector, type TermVector } from './lexical.js';

/*
 * Extractive summaries without a model: sentences ranked by centrality (TextRank: PageRank
 * over the graph of TF-IDF cosine similarities between sentences), then picked best-first
 * within the word budget and printed in their original order.
 */

export interface RankedSentence { index: number; text: string; score: number }

/** Above this many sentences the O(n²) graph gets slow; centrality to the centroid stands in. */
const GRAPH_LIMIT = 1500;
const DAMPING = 0.85;

export function rankSentences(sentences: string[]): RankedSentence[] {
  const terms = sentences.map((s) => contentTerms(s));
  const idf = idfOf(terms);
  const vectors = terms.map((t) => tfidfVector(t, idf));
  const scores = sentences.length <= GRAPH_LIMIT ? textRank(vectors) : centroidScores(vectors);
  return sentences.map((text, index) => ({ index, text, score: scores[index] * qualityFactor(text) }));
}

// Very short fragments ("See below.") are central by accident and say little; a lead-in
// ending with ':' announces a code block or list that a summary cannot show; a fragment with
// no final punctuation was cut by a code block.
function qualityFactor(text: string): number {
  const w = countWords(text);
  let f = w < 4 ? 0.3 : w < 7 ? 0.8 : 1;
  const t = text.trimEnd();
  if (/[:：]$/.test(t)) f *= 0.25;
  else if (!/[.!?。！？…)）"”』」]$/.test(t)) f *= 0.6;
  return f;
}

function textRank(vectors: TermVector[]): number[] {
  const n = vectors.length;
  if (n === 0) return [];
  const edges: { j: number; w: number }[][] = vectors.map(() => []);
  const outSum = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = cosine(vectors[i], vectors[j]);
      if (w <= 0.01) continue;
      edges[i].push({ j, w });
      edges[j].push({ j: i, w });
      outSum[i] += w;
      outSum[j] += w;
    }
  }
  let rank = new Array<number>(n).fill(1 / n);
  for (let iter = 0; iter < 50; iter++) {
    const next = new Array<number>(n).fill((1 - DAMPING) / n);
    let dangling = 0;
    for (let i = 0; i < n; i++) if (outSum[i] === 0) dangling += rank[i];
    for (let i = 0; i < n; i++) {
      next[i] += (DAMPING * dangling) / n;
      for (const { j, w } of edges[i]) next[i] += (DAMPING * rank[j] * w) / outSum[j];
    }
    const delta = next.reduce((s, v, i) => s + Math.abs(v - rank[i]), 0);
    rank = next;
    if (delta < 1e-6) break;
  }
  return rank;
}

function centroidScores(vectors: TermVector[]): number[] {
  const centroid: TermVector = new Map();
  for (const v of vectors) for (const [t, w] of v) centroid.set(t, (centroid.get(t) ?? 0) + w);
  return vectors.map((v) => cosine(v, centroid));
}

export interface ExtractOptions {
  maxWords: number;
  /** at most this many sentences (tldr: 1-2) */
  maxSentences?: number;
}

/**
 * The best-ranked sentences that fit `maxWords`, in their original order. Duplicates (as
 * overlapping retrieval chunks produce) count once. When not even the best sentence fits,
 * it is cut at a word boundary and ends with "…", never padded or invented.
 */
export function pickSentences(sentences: string[], options: ExtractOptions): string[] {
  const seen = new Set<string>();
  const unique: { text: string; index: number }[] = [];
  sentences.forEach((text, index) => {
    const key = text.replace(/\s+/g, ' ').trim().toLowerCase();
    if (key && !seen.has(key)) { seen.add(key); unique.push({ text: text.trim(), index }); }
  });
  if (unique.length === 0) return [];
  const ranked = rankSentences(unique.map((u) => u.text)).sort((a, b) => b.score - a.score || a.index - b.index);
  const chosen: number[] = [];
  let words = 0;
  // leftover room is not filled with "Sure." and other scraps far below the leaders
  const floor = ranked[0].score * 0.25;
  for (const r of ranked) {
    if (options.maxSentences && chosen.length >= options.maxSentences) break;
    if (r.score < floor) break;
    const w = countWords(r.text);
    if (w < 4) continue;
    if (words + w > options.maxWords) continue;
    chosen.push(r.index);
    words += w;
  }
  if (chosen.length === 0) return [cutToWords(ranked[0].text, options.maxWords)];
  return chosen.sort((a, b) => a - b).map((i) => unique[i].text);
}

export function cutToWords(text: string, maxWords: number): string {
  let words = 0;
  let out = '';
  for (const piece of text.match(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\s\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]+|\s+/g) ?? []) {
    if (!/^\s+$/.test(piece) && /[\p{L}\p{N}]/u.test(piece)) words++;
    if (words > maxWords) break;
    out += piece;
  }
  return out.trimEnd() + '…';
}

/** Joins sentences as prose: a space between Latin sentences, none after CJK punctuation. */
export function joinSentences(sentences: string[]): string {
  let out = '';
  for (const s of sentences) {
    if (out && !/\s$/.test(out) && !(hasCjk(out.slice(-1)) || /[。！？；]$/.test(out))) out += ' ';
    out += s;
  }
  return out;
}
