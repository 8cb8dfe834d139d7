import { isStopword, tokenize } from '../text/segment.js';
import { truncatedSvd, type Csr } from './svd.js';

/**
 * A latent semantic space learned from a store's own chunks: term vectors from a truncated SVD
 * of the TF-IDF term–document matrix. Chunks and questions are folded in from their terms, so
 * a question shares a neighbourhood with the chunks whose words co-occur with its words — and,
 * when the training documents join a page with its translation, with the other language's words
 * for the same things (cross-language LSI, Dumais et al. 1997).
 */
export interface LearnedModel {
  version: 1;
  dim: number;
  terms: string[];
  idf: Float32Array;
  /** terms × dim, row-major, already scaled for folding in (see foldScale) */
  u: Float32Array;
  sigma: Float64Array;
}

export interface TrainOptions {
  dim?: number;
  seed?: number;
  /** sigma exponent of the fold-in weighting */
  power?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Fold-in weighting: each dimension is scaled by sigma^POWER. POWER = 1 is the plain projection
 * Uᵀd scaled by Σ (the first, corpus-wide dimensions dominate), 0 weighs every kept dimension
 * alike (amplifying the weak, noisy ones); measured on the eval sets (docs/text.md).
 */
export const DEFAULT_POWER = 0.5;

/** The tokens a learned vector is made of: the lexical index's segmentation, less function words. */
export function learnedTokens(text: string): string[] {
  return tokenize(text).filter((t) => !isStopword(t) && !/^[\p{P}\p{S}\d]+$/u.test(t));
}

export interface Vocabulary {
  index: Map<string, number>;
  terms: string[];
  idf: Float32Array;
}

/**
 * The terms a space is trained on: those in at least two documents, the most frequent first up
 * to `maxTerms`, in a stable order (same corpus, same model).
 */
export function buildVocabulary(df: Map<string, number>, documents: number, maxTerms = 100_000): Vocabulary {
  const kept = [...df].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxTerms);
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const terms = kept.map(([t]) => t);
  const idf = Float32Array.from(kept, ([, d]) => Math.log((documents + 1) / d));
  return { index: new Map(terms.map((t, i) => [t, i])), terms, idf };
}

/** A document as the ids of its known terms (unknown ones dropped). */
export function termIds(tokens: string[], index: Map<string, number>): Int32Array {
  const out: number[] = [];
  for (const t of tokens) {
    const i = index.get(t);
    if (i !== undefined) out.push(i);
  }
  return Int32Array.from(out);
}

/** (1 + ln tf) · idf, L2-normalized: the weights of one document's terms. */
function weigh(ids: Int32Array, idf: Float32Array): Map<number, number> {
  const tf = new Map<number, number>();
  for (const i of ids) tf.set(i, (tf.get(i) ?? 0) + 1);
  let norm = 0;
  for (const [i, n] of tf) {
    const w = (1 + Math.log(n)) * idf[i];
    tf.set(i, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm) || 1;
  for (const [i, w] of tf) tf.set(i, w / norm);
  return tf;
}

function termDocumentMatrix(docs: Int32Array[], vocab: Vocabulary): Csr {
  const counts = new Int32Array(vocab.terms.length + 1);
  const weighed = docs.map((d) => weigh(d, vocab.idf));
  for (const w of weighed) for (const i of w.keys()) counts[i + 1]++;
  const ptr = new Int32Array(vocab.terms.length + 1);
  for (let i = 0; i < vocab.terms.length; i++) ptr[i + 1] = ptr[i] + counts[i + 1];
  const fill = Int32Array.from(ptr.subarray(0, vocab.terms.length));
  const idx = new Int32Array(ptr[vocab.terms.length]);
  const vals = new Float32Array(ptr[vocab.terms.length]);
  weighed.forEach((w, j) => {
    for (const [i, v] of w) { idx[fill[i]] = j; vals[fill[i]++] = v; }
  });
  return { rows: vocab.terms.length, cols: docs.length, ptr, idx, vals };
}

/** Trains a space from training documents (term ids of `vocab`). Deterministic for a given input. */
export function trainModel(docs: Int32Array[], vocab: Vocabulary, options: TrainOptions = {}): LearnedModel {
  const matrix = termDocumentMatrix(docs, vocab);
  const svd = truncatedSvd(matrix, { k: options.dim ?? 128, seed: options.seed, onPass: options.onProgress });
  const u = svd.u;
  const power = options.power ?? DEFAULT_POWER;
  for (let c = 0; c < svd.k; c++) {
    const scale = Math.pow(svd.sigma[c], power);
    for (let i = 0; i < vocab.terms.length; i++) u[i * svd.k + c] *= scale;
  }
  return { version: 1, dim: svd.k, terms: vocab.terms, idf: vocab.idf, u, sigma: svd.sigma };
}

/** The model's term lookup (built once per loaded model). */
export function termIndex(model: LearnedModel): Map<string, number> {
  return new Map(model.terms.map((t, i) => [t, i]));
}

/** A unit vector for a document's term ids in the learned space (all zeros when none is known). */
export function foldInIds(model: LearnedModel, ids: Int32Array): Float32Array {
  const out = new Float32Array(model.dim);
  const d = model.dim;
  for (const [i, w] of weigh(ids, model.idf)) {
    const o = i * d;
    for (let c = 0; c < d; c++) out[c] += w * model.u[o + c];
  }
  let norm = 0;
  for (let c = 0; c < d; c++) norm += out[c] * out[c];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let c = 0; c < d; c++) out[c] /= norm;
  return out;
}

/** A unit vector for some text's tokens in the learned space. */
export function foldIn(model: LearnedModel, index: Map<string, number>, tokens: string[]): Float32Array {
  return foldInIds(model, termIds(tokens, index));
}
