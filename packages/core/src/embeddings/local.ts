/**
 * The offline default embedder: signed feature hashing of words, word pairs and character
 * n-grams (3-4 grams inside words; single characters and pairs in Han/kana runs). Lexical, not a neural model: two texts are close when they share words, identifiers,
 * word stems (via character n-grams) or, for Chinese/Japanese, characters and character pairs.
 * It knows no synonyms and no translations; see docs/text.md for what it can and cannot do.
 */
import { Embeddings } from '@langchain/core/embeddings';
import { LoomError } from '../errors.js';
import { isStopword, scanWords } from '../text/segment.js';

export const LOCAL_EMBEDDER_VERSION = 'hash-v1';
export const DEFAULT_LOCAL_DIMENSIONS = 512;

// feature families: distinct seeds keep a word, a word pair and an n-gram with the same
// characters on different hash slots; the weights are relative importance before TF damping
const SEED_WORD = 0x811c9dc5;
const SEED_PAIR = 0x01000193;
const SEED_GRAM = 0x5bd1e995;
const SEED_CJK = 0x27d4eb2d;
const WEIGHT_WORD = 1;
const WEIGHT_STOPWORD = 0.1;
const WEIGHT_PAIR = 0.4;
const WEIGHT_GRAM = 0.5;
const WEIGHT_CJK_UNI = 0.5;
const WEIGHT_CJK_BI = 1;
const MIN_GRAM_WORD = 4; // words shorter than this are covered by the word feature alone

type Counts = Map<number, number>;

const FNV_PRIME = 0x01000193;

/** FNV-1a state after feeding a string's UTF-16 units from `start` to `end` into state `h`. */
function feed(h: number, text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Final avalanche (murmur3 fmix32) so that the index and sign bits are well mixed. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over text[start, end) with a seed per feature family, mixed. */
function fnv(text: string, start: number, end: number, seed: number): number {
  return mix(feed(seed, text, start, end));
}

function bump(counts: Counts, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Latin-ish words: character 3- and 4-grams of "<word>" catch stems (watch/watcher/watchers). */
function addGrams(grams: Counts, word: string): void {
  // n-grams of `<${word}>` without building that string: '<' and '>' are fed by code
  const last = word.length + 2;
  for (let n = 3; n <= 4; n++) {
    for (let i = 0; i + n <= last; i++) {
      let h = SEED_GRAM;
      const from = Math.max(0, i - 1);
      const to = Math.min(word.length, i + n - 1);
      if (i === 0) h = Math.imul(h ^ 0x3c, FNV_PRIME);
      h = feed(h, word, from, to);
      if (i + n === last) h = Math.imul(h ^ 0x3e, FNV_PRIME);
      bump(grams, mix(h));
    }
  }
}

/**
 * Han/kana runs: every character and every adjacent pair, with no dictionary. Most Chinese
 * words are one or two characters, so pairs stand in for words; this is 2.5x faster than
 * segmenting with Intl.Segmenter and scored within a point of it (docs/text.md). Character
 * trigrams were tried and lowered the scores.
 */
function addCjk(cjk: Counts, cjkPairs: Counts, run: string): void {
  for (let i = 0; i < run.length; i++) {
    bump(cjk, fnv(run, i, i + 1, SEED_CJK));
    if (i + 1 < run.length) bump(cjkPairs, fnv(run, i, i + 2, SEED_CJK));
  }
}

interface Features { words: Counts; stop: Counts; pairs: Counts; grams: Counts; cjk: Counts; cjkPairs: Counts }

const newFeatures = (): Features => ({ words: new Map(), stop: new Map(), pairs: new Map(), grams: new Map(), cjk: new Map(), cjkPairs: new Map() });

function extract(text: string): Features {
  const f = newFeatures();
  let previous: string | undefined;
  scanWords(
    text,
    (word) => {
      const stop = isStopword(word);
      bump(stop ? f.stop : f.words, fnv(word, 0, word.length, SEED_WORD));
      if (previous !== undefined && !stop) {
        // the hash of `${previous} ${word}`, fed piecewise
        const h = Math.imul(feed(SEED_PAIR, previous, 0, previous.length) ^ 0x20, FNV_PRIME);
        bump(f.pairs, mix(feed(h, word, 0, word.length)));
      }
      previous = stop ? undefined : word;
      if (word.length >= MIN_GRAM_WORD) addGrams(f.grams, word);
    },
    (run) => {
      addCjk(f.cjk, f.cjkPairs, run);
      previous = undefined;
    },
  );
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
