/**
 * The offline default embedder: signed feature hashing of words, word pairs and character
 * n-grams. Lexical, not a neural model: two texts are close when they share words, identifiers,
 * word stems (via character n-grams) or, for Chinese/Japanese, characters and character pairs.
 * It knows no synonyms and no translations; see docs/text.md for what it can and cannot do.
 */
import { Embeddings } from '@langchain/core/embeddings';
import { LoomError } from '../errors.js';
import { isStopword, tokenize } from '../text/segment.js';

export const LOCAL_EMBEDDER_VERSION = 'hash-v1';
export const DEFAULT_LOCAL_DIMENSIONS = 512;

// feature families: distinct seeds keep a word, a word pair and an n-gram with the same
// characters on different hash slots; the weights are relative importance before TF damping
const SEED_WORD = 0x811c9dc5;
const SEED_PAIR = 0x01000193;
const SEED_GRAM = 0x5bd1e995;
const SEED_CJK = 0x27d4eb2d;
const WEIGHT_WORD = 1;
const WEIGHT_STOPWORD = 0.15;
const WEIGHT_PAIR = 0.6;
const WEIGHT_GRAM = 0.35;
const WEIGHT_CJK_UNI = 0.3;
const WEIGHT_CJK_BI = 0.8;
const MIN_GRAM_WORD = 4; // words shorter than this are covered by the word feature alone

type Counts = Map<number, number>;

/** FNV-1a over a string's UTF-16 units from `start` to `end`, with a seed per feature family. */
function fnv(text: string, start: number, end: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix32) so that index and sign bits are well mixed
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function bump(counts: Counts, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function isCjk(code: number): boolean {
  return (code >= 0x3040 && code <= 0x30ff) || (code >= 0x3400 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0xf900 && code <= 0xfaff);
}

/** Latin-ish words: character 3- and 4-grams of "<word>" catch stems (watch/watcher/watchers). */
function addGrams(grams: Counts, word: string): void {
  const padded = `<${word}>`;
  for (let n = 3; n <= 4; n++) {
    for (let i = 0; i + n <= padded.length; i++) bump(grams, fnv(padded, i, i + n, SEED_GRAM));
  }
}

/** CJK words: every character and every adjacent pair, across word boundaries too, because ICU's
 *  dictionary splits some technical words (组件 -> 组 | 件) and a pair restores them. */
function addCjk(cjk: Counts, cjkPairs: Counts, run: string): void {
  for (let i = 0; i < run.length; i++) {
    bump(cjk, fnv(run, i, i + 1, SEED_CJK));
    if (i + 1 < run.length) bump(cjkPairs, fnv(run, i, i + 2, SEED_CJK));
  }
}

interface Features { words: Counts; stop: Counts; pairs: Counts; grams: Counts; cjk: Counts; cjkPairs: Counts }

function extract(text: string): Features {
  const f: Features = { words: new Map(), stop: new Map(), pairs: new Map(), grams: new Map(), cjk: new Map(), cjkPairs: new Map() };
  const tokens = tokenize(text);
  let cjkRun = '';
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
    const stop = isStopword(token);
    bump(stop ? f.stop : f.words, fnv(token, 0, token.length, SEED_WORD));
    if (t > 0 && !stop && !isStopword(tokens[t - 1])) bump(f.pairs, fnv(`${tokens[t - 1]} ${token}`, 0, tokens[t - 1].length + 1 + token.length, SEED_PAIR));
    if (isCjk(token.charCodeAt(0))) {
      cjkRun += token;
      continue;
    }
    if (cjkRun) { addCjk(f.cjk, f.cjkPairs, cjkRun); cjkRun = ''; }
    if (token.length >= MIN_GRAM_WORD) addGrams(f.grams, token);
  }
  if (cjkRun) addCjk(f.cjk, f.cjkPairs, cjkRun);
  return f;
}

function accumulate(vector: Float32Array, counts: Counts, weight: number): void {
  const dims = vector.length;
  for (const [hash, tf] of counts) {
    // sublinear TF: a word repeated ten times is not ten times the evidence
    const value = weight * (1 + Math.log(tf));
    const index = (hash & 0x7fffffff) % dims;
    vector[index] += hash & 0x80000000 ? -value : value;
  }
}

/** Deterministic, L2-normalised feature-hashing embedding of `text`. */
export function hashEmbedding(text: string, dimensions = DEFAULT_LOCAL_DIMENSIONS): Float32Array {
  const vector = new Float32Array(dimensions);
  const f = extract(text);
  accumulate(vector, f.words, WEIGHT_WORD);
  accumulate(vector, f.stop, WEIGHT_STOPWORD);
  accumulate(vector, f.pairs, WEIGHT_PAIR);
  accumulate(vector, f.grams, WEIGHT_GRAM);
  accumulate(vector, f.cjk, WEIGHT_CJK_UNI);
  accumulate(vector, f.cjkPairs, WEIGHT_CJK_BI);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += vector[i] * vector[i];
  if (norm === 0) {
    // no features (empty or punctuation only): a fixed unit vector keeps cosine defined
    vector[0] = 1;
    return vector;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] *= scale;
  return vector;
}

export interface LocalEmbeddingsOptions {
  /** default 512 */
  dimensions?: number;
}

/**
 * Offline default embedder (a LangChain `Embeddings`). Deterministic multilingual feature
 * hashing (signed) of words and word pairs (from `tokenize`) plus character n-grams,
 * L2-normalised. Lexical, not neural.
 */
export class LocalEmbeddings extends Embeddings {
  readonly id: string;
  readonly dimensions: number;

  constructor(options: LocalEmbeddingsOptions = {}) {
    super({});
    const dimensions = options.dimensions ?? DEFAULT_LOCAL_DIMENSIONS;
    if (!Number.isInteger(dimensions) || dimensions < 16 || dimensions > 8192) {
      throw new LoomError('CONFIG_INVALID', `local embedder: dimensions must be an integer from 16 to 8192, got ${dimensions}`, {
        hint: "use --embedder local or local:<dims>, e.g. local:768",
      });
    }
    this.dimensions = dimensions;
    this.id = `local:${LOCAL_EMBEDDER_VERSION}:${dimensions}`;
  }

  embedSync(text: string): Float32Array {
    return hashEmbedding(text, this.dimensions);
  }

  async embedQuery(text: string): Promise<number[]> {
    return Array.from(this.embedSync(text));
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => Array.from(this.embedSync(text)));
  }
}
