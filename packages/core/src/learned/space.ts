import type { Scored } from '../store/backend.js';
import { buildVocabulary, foldIn, foldInIds, learnedTokens, termIds, trainModel, type LearnedModel } from './model.js';
import { translationGroups } from './pairs.js';

/** What training reads of a chunk (ChunkRow has all of it). */
export interface LearnedChunk {
  id: number;
  source: string;
  heading: string;
  text: string;
  ord: number;
  lang: string;
  sourceMeta?: string | null;
}

/** A trained space with the vectors of the chunks it holds (id order, row-major). */
export interface LearnedSpace {
  model: LearnedModel;
  ids: Float64Array;
  vectors: Float32Array;
  /** how many chunks the model was trained on (growth past a share of it triggers retraining) */
  trainedChunks: number;
  /** the translation groups that joined training */
  pairs: number;
  terms: Map<string, number>;
  /** the chunk languages seen in training, each vector's language (index), and their mean vectors */
  langs: string[];
  langOf: Uint8Array;
  means: Float32Array;
}

export interface TrainSpaceOptions {
  dim?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Below this many chunks a corpus is too small to learn a space worth using. */
export const MIN_CHUNKS = 200;

const parseMeta = (json?: string | null): Record<string, unknown> | undefined => {
  if (!json) return undefined;
  try { return JSON.parse(json) as Record<string, unknown>; } catch { return undefined; }
};

/** Consecutive chunks under one heading: the unit aligned between a page and its translation. */
function sections(chunks: LearnedChunk[]): LearnedChunk[][] {
  const out: LearnedChunk[][] = [];
  let last: string | undefined;
  for (const c of [...chunks].sort((a, b) => a.ord - b.ord)) {
    if (c.heading !== last || out.length === 0) out.push([]);
    out[out.length - 1].push(c);
    last = c.heading;
  }
  return out;
}

/**
 * The training documents: every chunk on its own (the monolingual co-occurrences), plus, for each
 * group of translated pages, their text joined — section by section where the pages have the same
 * number of sections (translations keep the structure), else whole — so each language's words
 * for one thing co-occur in one document (measured in docs/text.md: adding the chunks alone
 * helped the bundled set's cross-lingual questions and cost nothing on the Vue docs).
 */
function trainingDocuments(chunks: LearnedChunk[], ids: Map<number, Int32Array>): { docs: Int32Array[]; pairs: number } {
  const bySource = new Map<string, LearnedChunk[]>();
  for (const c of chunks) {
    const list = bySource.get(c.source);
    if (list) list.push(c);
    else bySource.set(c.source, [c]);
  }
  const pages = [...bySource].map(([source, list]) => ({ source, chunks: list, meta: parseMeta(list[0].sourceMeta) }));
  const docs = chunks.map((c) => ids.get(c.id)!);
  const groups = translationGroups(pages);
  const join = (cs: LearnedChunk[]) => {
    const parts = cs.map((c) => ids.get(c.id)!);
    const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  for (const group of groups) {
    const split = group.map((p) => sections(p.chunks));
    if (split.every((s) => s.length === split[0].length)) {
      for (let i = 0; i < split[0].length; i++) docs.push(join(split.flatMap((s) => s[i])));
    } else {
      docs.push(join(group.flatMap((p) => p.chunks)));
    }
  }
  return { docs, pairs: groups.length };
}

const chunkText = (c: { heading: string; text: string }) => `${c.heading}\n${c.text}`;

/**
 * Trains a space on these chunks and folds every one of them in. Deterministic. Text is
 * tokenized twice (document frequencies, then term ids) rather than holding every chunk's
 * token strings: at 250k chunks those would take gigabytes.
 */
export function trainSpace(chunks: LearnedChunk[], options: TrainSpaceOptions = {}): LearnedSpace {
  const sorted = [...chunks].sort((a, b) => a.id - b.id);
  const df = new Map<string, number>();
  for (const c of sorted) for (const t of new Set(learnedTokens(chunkText(c)))) df.set(t, (df.get(t) ?? 0) + 1);
  const vocab = buildVocabulary(df, sorted.length);
  df.clear();
  const ids = new Map(sorted.map((c) => [c.id, termIds(learnedTokens(chunkText(c)), vocab.index)]));
  const { docs, pairs } = trainingDocuments(sorted, ids);
  const model = trainModel(docs, vocab, { dim: options.dim, onProgress: options.onProgress });
  const raw = sorted.map((c) => foldInIds(model, ids.get(c.id)!));
  const langs = [...new Set(sorted.map((c) => c.lang))].sort().slice(0, 255);
  const means = languageMeans(raw, sorted.map((c) => c.lang), langs, model.dim);
  const space: LearnedSpace = {
    model, ids: new Float64Array(0), vectors: new Float32Array(0), trainedChunks: sorted.length, pairs, terms: vocab.index,
    langs, langOf: new Uint8Array(0), means,
  };
  appendVectors(space, sorted, raw);
  return space;
}

/**
 * The mean vector of each language's chunks. Translated pages pull the two languages' words
 * together, yet every chunk keeps a component shared by all chunks of its language; removed
 * from chunks and questions alike, a Chinese question stops preferring any Chinese page over the
 * English page that answers it (docs/text.md, measured on both eval sets).
 */
function languageMeans(vectors: Float32Array[], langOf: string[], langs: string[], d: number): Float32Array {
  const sums = new Float64Array(langs.length * d);
  const counts = new Float64Array(langs.length);
  vectors.forEach((v, i) => {
    const l = langs.indexOf(langOf[i]);
    if (l < 0) return;
    counts[l]++;
    for (let c = 0; c < d; c++) sums[l * d + c] += v[c];
  });
  return Float32Array.from(sums, (x, i) => x / Math.max(1, counts[Math.floor(i / d)]));
}

/** A vector less its language's mean, at unit length (unchanged for a language without a mean). */
function centered(space: LearnedSpace, v: Float32Array, lang: number): Float32Array {
  const d = space.model.dim;
  const out = Float32Array.from(v);
  if (lang >= 0 && lang < space.langs.length) for (let c = 0; c < d; c++) out[c] -= space.means[lang * d + c];
  let norm = 0;
  for (let c = 0; c < d; c++) norm += out[c] * out[c];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let c = 0; c < d; c++) out[c] /= norm;
  return out;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** The language whose mean a question is centered with: by script, among the trained languages. */
function queryLanguage(space: LearnedSpace, query: string): number {
  const prefer = CJK.test(query) ? ['zh', 'ja', 'ko'] : ['en'];
  for (const l of prefer) {
    const i = space.langs.indexOf(l);
    if (i >= 0) return i;
  }
  return -1;
}

/** Adds chunks' raw fold-ins, centered by their language. */
function appendVectors(space: LearnedSpace, add: Array<{ id: number; lang: string }>, raw: Float32Array[]): void {
  const d = space.model.dim;
  const n = space.ids.length;
  const ids = new Float64Array(n + add.length);
  const vectors = new Float32Array(ids.length * d);
  const langOf = new Uint8Array(ids.length).fill(255);
  ids.set(space.ids);
  vectors.set(space.vectors);
  langOf.set(space.langOf);
  add.forEach((c, i) => {
    const lang = space.langs.indexOf(c.lang);
    ids[n + i] = c.id;
    langOf[n + i] = lang < 0 ? 255 : lang;
    vectors.set(centered(space, raw[i], lang), (n + i) * d);
  });
  space.ids = ids;
  space.vectors = vectors;
  space.langOf = langOf;
}

/** Folds chunks into a trained space (chunks added after training keep working until a retrain). */
export function addToSpace(space: LearnedSpace, chunks: Array<{ id: number; heading: string; text: string; lang: string }>): void {
  if (chunks.length === 0) return;
  appendVectors(space, chunks, chunks.map((c) => foldInIds(space.model, termIds(learnedTokens(chunkText(c)), space.terms))));
}

/** The highest chunk id the space holds (chunks above it were added since). */
export function lastId(space: LearnedSpace): number {
  let max = 0;
  for (const id of space.ids) max = Math.max(max, id);
  return max;
}

/**
 * Exact cosine search over the space (vectors are unit length): a brute-force scan of
 * dim floats per chunk, ~25 ms for 250k chunks at dim 192 — no second graph to keep in step.
 */
export function searchSpace(space: LearnedSpace, query: string, k: number, accept?: (id: number) => boolean): Scored[] {
  const raw = foldIn(space.model, space.terms, learnedTokens(query));
  if (!raw.some((x) => x !== 0)) return [];
  const q = centered(space, raw, queryLanguage(space, query));
  const d = space.model.dim;
  const best: Scored[] = [];
  let floor = -Infinity;
  for (let i = 0; i < space.ids.length; i++) {
    const o = i * d;
    let s = 0;
    for (let c = 0; c < d; c++) s += q[c] * space.vectors[o + c];
    if (best.length >= k && s <= floor) continue;
    const id = space.ids[i];
    if (accept && !accept(id)) continue;
    best.push({ id, score: s });
    if (best.length > k * 2) {
      best.sort((a, b) => b.score - a.score);
      best.length = k;
      floor = best[k - 1].score;
    }
  }
  return best.sort((a, b) => b.score - a.score).slice(0, k);
}
