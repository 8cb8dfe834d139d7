import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { termIndex, type LearnedModel } from './model.js';
import type { LearnedSpace } from './space.js';

/**
 * A learned space on disk, beside the store's database: derived data like the HNSW index, so a
 * missing or damaged file only means retraining. Layout: "LOOMLSI2", a 4-byte header length, a
 * JSON header (dims, counts, terms), then idf, u, sigma, ids and vectors as little-endian arrays.
 */
export const LEARNED_FILE = 'learned.bin';
const MAGIC = 'LOOMLSI2';

interface Header {
  version: 1;
  dim: number;
  terms: string[];
  chunks: number;
  trainedChunks: number;
  pairs: number;
  langs: string[];
  trainedAt: string;
}

export function learnedFile(dir: string): string {
  return join(dir, LEARNED_FILE);
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Writes atomically (temp file, fsync, rename): a reader sees the old space or the new one. */
export function saveSpace(dir: string, space: LearnedSpace): void {
  const header: Header = {
    version: 1, dim: space.model.dim, terms: space.model.terms, chunks: space.ids.length,
    trainedChunks: space.trainedChunks, pairs: space.pairs, langs: space.langs, trainedAt: new Date().toISOString(),
  };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const parts = [Buffer.from(MAGIC), len, json, bytes(space.model.idf), bytes(space.model.u), bytes(space.model.sigma), bytes(space.ids), bytes(space.vectors), bytes(space.means), bytes(space.langOf)];
  const tmp = `${learnedFile(dir)}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) writeSync(fd, p);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, learnedFile(dir));
}

export interface SpaceInfo {
  dim: number;
  terms: number;
  chunks: number;
  trainedChunks: number;
  pairs: number;
  trainedAt: string;
  bytes: number;
}

/** The header of a saved space, without loading its arrays (for `loom store info`). */
export function describeSpace(dir: string): SpaceInfo | undefined {
  const file = learnedFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const buf = readFileSync(file);
    if (buf.subarray(0, 8).toString() !== MAGIC) return undefined;
    const h = JSON.parse(buf.subarray(12, 12 + buf.readUInt32LE(8)).toString()) as Header;
    return { dim: h.dim, terms: h.terms.length, chunks: h.chunks, trainedChunks: h.trainedChunks, pairs: h.pairs, trainedAt: h.trainedAt, bytes: buf.length };
  } catch {
    return undefined;
  }
}

/** Reads a saved space; undefined when there is none or it cannot be read (it is retrained). */
export function loadSpace(dir: string): LearnedSpace | undefined {
  const file = learnedFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const buf = readFileSync(file);
    if (buf.subarray(0, 8).toString() !== MAGIC) return undefined;
    const len = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(12, 12 + len).toString()) as Header;
    let at = 12 + len;
    const take = <T>(n: number, size: number, make: (b: ArrayBuffer) => T): T => {
      const copy = buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n * size);
      if (copy.byteLength !== n * size) throw new Error('short file');
      at += n * size;
      return make(copy);
    };
    const nTerms = header.terms.length;
    const idf = take(nTerms, 4, (b) => new Float32Array(b));
    const u = take(nTerms * header.dim, 4, (b) => new Float32Array(b));
    const sigma = take(header.dim, 8, (b) => new Float64Array(b));
    const ids = take(header.chunks, 8, (b) => new Float64Array(b));
    const vectors = take(header.chunks * header.dim, 4, (b) => new Float32Array(b));
    const means = take(header.langs.length * header.dim, 4, (b) => new Float32Array(b));
    const langOf = take(header.chunks, 1, (b) => new Uint8Array(b));
    if (at !== buf.length) return undefined;
    const model: LearnedModel = { version: 1, dim: header.dim, terms: header.terms, idf, u, sigma };
    return { model, ids, vectors, trainedChunks: header.trainedChunks, pairs: header.pairs, terms: termIndex(model), langs: header.langs, langOf, means };
  } catch {
    return undefined;
  }
}
