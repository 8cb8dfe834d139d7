/** Float32 vectors as SQLite blobs, and the few vector operations the store needs. */

export function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function fromBlob(blob: Buffer | Uint8Array): Float32Array {
  // a Float32Array view needs 4-byte alignment; pooled Buffers may not have it
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/** L2-normalised copy; inner product on normalised vectors is cosine similarity. */
export function normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const out = new Float32Array(v.length);
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = a.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) s += a[i] * b[i] + a[i + 1] * b[i + 1] + a[i + 2] * b[i + 2] + a[i + 3] * b[i + 3];
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/** hnswlib-node's binding takes plain arrays only. */
export function toArray(v: Float32Array): number[] {
  return Array.from(v);
}
