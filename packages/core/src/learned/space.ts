import type { Scored } from '../store/backend.js';
import { foldIn, learnedTokens, termIndex, trainModel, type LearnedModel } from './model.js';
import { translationGroups } from './pairs.js';

/** What training reads of a chunk (ChunkRow has all of it). */
export interface LearnedChunk {
  id: number;
  source: string;
  heading: string;
  text: string;
  ord: number;
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
function trainingDocuments(chunks: LearnedChunk[], tokens: Map<number, string[]>): { docs: string[][]; pairs: number } {
  const bySource = new Map<string, LearnedChunk[]>();
  for (const c of chunks) {
    const list = bySource.get(c.source);
    if (list) list.push(c);
    else bySource.set(c.source, [c]);
  }
  const pages = [...bySource].map(([source, list]) => ({ source, chunks: list, meta: parseMeta(list[0].sourceMeta) }));
  const docs = chunks.map((c) => tokens.get(c.id)!);
  const groups = translationGroups(pages);
  const join = (cs: LearnedChunk[]) => cs.flatMap((c) => tokens.get(c.id)!);
  for (const group of groups) {
    const split = group.map((p) => sections(p.chunks));
    if (split.every((s) => s.length === split[0].length)) {
      for (let i = 0; i < split[0].length; i++) docs.push(split.flatMap((s) => join(s[i])));
    } else {
      docs.push(group.flatMap((p) => join(p.chunks)));
    }
  }
  return { docs, pairs: groups.length };
}

const chunkText = (c: { heading: string; text: string }) => `${c.heading}\n${c.text}`;

/** Trains a space on these chunks and folds every one of them in. Deterministic. */
export function trainSpace(chunks: LearnedChunk[], options: TrainSpaceOptions = {}): LearnedSpace {
  const sorted = [...chunks].sort((a, b) => a.id - b.id);
  const tokens = new Map(sorted.map((c) => [c.id, learnedTokens(chunkText(c))]));
  const { docs, pairs } = trainingDocuments(sorted, tokens);
  const model = trainModel(docs, { dim: options.dim, onProgress: options.onProgress });
  const space: LearnedSpace = { model, ids: new Float64Array(0), vectors: new Float32Array(0), trainedChunks: sorted.length, pairs, terms: termIndex(model) };
  addToSpace(space, sorted.map((c) => ({ id: c.id, tokens: tokens.get(c.id)! })));
  return space;
}

/** Folds chunks into a trained space (chunks added after training keep working until a retrain). */
export function addToSpace(space: LearnedSpace, chunks: Array<{ id: number; tokens?: string[]; heading?: string; text?: string }>): void {
  if (chunks.length === 0) return;
  const d = space.model.dim;
  const ids = new Float64Array(space.ids.length + chunks.length);
  const vectors = new Float32Array(ids.length * d);
  ids.set(space.ids);
  vectors.set(space.vectors);
  chunks.forEach((c, i) => {
    const at = space.ids.length + i;
    ids[at] = c.id;
    vectors.set(foldIn(space.model, space.terms, c.tokens ?? learnedTokens(chunkText({ heading: c.heading ?? '', text: c.text ?? '' }))), at * d);
  });
  space.ids = ids;
  space.vectors = vectors;
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
  const q = foldIn(space.model, space.terms, learnedTokens(query));
  if (!q.some((x) => x !== 0)) return [];
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
