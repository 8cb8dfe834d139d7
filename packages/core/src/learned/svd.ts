/**
 * A truncated SVD of a sparse matrix by randomized range finding (Halko, Martinsson & Tropp
 * 2011, algorithms 4.4 and 5.1): a few passes of sparse-times-dense products and small dense
 * factorizations, so a term–chunk matrix of a few hundred thousand chunks fits in seconds to
 * minutes on two cores. Only the left singular vectors (terms) and the singular values are
 * kept: documents and queries are folded in from their terms.
 */

/** A sparse matrix in compressed sparse rows: row i holds cols[ptr[i]..ptr[i+1]) with vals. */
export interface Csr {
  rows: number;
  cols: number;
  ptr: Int32Array;
  idx: Int32Array;
  vals: Float32Array;
}

export interface SvdResult {
  /** rows × k, row-major: the left singular vectors */
  u: Float32Array;
  /** k singular values, largest first */
  sigma: Float64Array;
  k: number;
}

export interface SvdOptions {
  k: number;
  oversample?: number;
  powerIterations?: number;
  seed?: number;
  /** called after each pass over the matrix (for a progress bar) */
  onPass?: (done: number, total: number) => void;
}

/** A small deterministic PRNG (mulberry32) and Box–Muller normals: same corpus, same space. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

/** Y = A X, with X cols(A) × l and Y rows(A) × l, both row-major. */
function multiply(a: Csr, x: Float64Array, l: number): Float64Array {
  const y = new Float64Array(a.rows * l);
  for (let i = 0; i < a.rows; i++) {
    const yo = i * l;
    for (let p = a.ptr[i]; p < a.ptr[i + 1]; p++) {
      const v = a.vals[p];
      const xo = a.idx[p] * l;
      for (let c = 0; c < l; c++) y[yo + c] += v * x[xo + c];
    }
  }
  return y;
}

/** Z = Aᵀ Y, with Y rows(A) × l and Z cols(A) × l. */
function multiplyT(a: Csr, y: Float64Array, l: number): Float64Array {
  const z = new Float64Array(a.cols * l);
  for (let i = 0; i < a.rows; i++) {
    const yo = i * l;
    for (let p = a.ptr[i]; p < a.ptr[i + 1]; p++) {
      const v = a.vals[p];
      const zo = a.idx[p] * l;
      for (let c = 0; c < l; c++) z[zo + c] += v * y[yo + c];
    }
  }
  return z;
}

/**
 * Orthonormalizes the columns of a row-major n × l matrix in place by modified Gram–Schmidt
 * over column copies (columns that vanish stay zero).
 */
function orthonormalize(m: Float64Array, n: number, l: number, passes = 1): void {
  const cols = Array.from({ length: l }, (_, c) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = m[i * l + c];
    return col;
  });
  for (let c = 0; c < l; c++) {
    const v = cols[c];
    for (let pass = 0; pass < passes; pass++) {
      for (let d = 0; d < c; d++) {
        const u = cols[d];
        let dot = 0;
        for (let i = 0; i < n; i++) dot += u[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= dot * u[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    const inv = norm > 1e-10 ? 1 / norm : 0;
    for (let i = 0; i < n; i++) v[i] *= inv;
  }
  for (let c = 0; c < l; c++) for (let i = 0; i < n; i++) m[i * l + c] = cols[c][i];
}

/** Eigen-decomposition of a symmetric l × l matrix by cyclic Jacobi rotations. */
export function symmetricEigen(a: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += m[p * l + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = m[p * l + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * l + q] - m[p * l + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = m[k * l + p];
          const akq = m[k * l + q];
          m[k * l + p] = c * akp - s * akq;
          m[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = m[p * l + k];
          const aqk = m[q * l + k];
          m[p * l + k] = c * apk - s * aqk;
          m[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p];
          const vkq = v[k * l + q];
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(l);
  for (let i = 0; i < l; i++) values[i] = m[i * l + i];
  return { values, vectors: v };
}

/** The top-k left singular vectors and singular values of a sparse matrix. */
export function truncatedSvd(a: Csr, options: SvdOptions): SvdResult {
  const k = Math.max(1, Math.min(options.k, a.rows, a.cols));
  const l = Math.min(k + (options.oversample ?? 16), a.rows, a.cols);
  const q = options.powerIterations ?? 2;
  const total = 2 + 2 * q;
  let pass = 0;
  const tick = () => options.onPass?.(++pass, total);
  const normal = gaussian(options.seed ?? 0x5eed);
  const omega = new Float64Array(a.cols * l);
  for (let i = 0; i < omega.length; i++) omega[i] = normal();
  let y = multiply(a, omega, l);
  tick();
  orthonormalize(y, a.rows, l);
  for (let it = 0; it < q; it++) {
    const z = multiplyT(a, y, l);
    tick();
    orthonormalize(z, a.cols, l);
    y = multiply(a, z, l);
    tick();
    orthonormalize(y, a.rows, l, it === q - 1 ? 2 : 1);
  }
  // B = Qᵀ A is l × n; B Bᵀ = Qᵀ A Aᵀ Q is l × l: its eigenvectors rotate Q into U.
  const bt = multiplyT(a, y, l); // n × l = (Qᵀ A)ᵀ
  tick();
  const gram = new Float64Array(l * l);
  for (let j = 0; j < a.cols; j++) {
    const o = j * l;
    for (let r = 0; r < l; r++) {
      const br = bt[o + r];
      if (br === 0) continue;
      for (let c = r; c < l; c++) gram[r * l + c] += br * bt[o + c];
    }
  }
  for (let r = 0; r < l; r++) for (let c = 0; c < r; c++) gram[r * l + c] = gram[c * l + r];
  const { values, vectors } = symmetricEigen(gram, l);
  const order = Array.from({ length: l }, (_, i) => i).sort((i, j) => values[j] - values[i]).slice(0, k);
  const sigma = Float64Array.from(order, (i) => Math.sqrt(Math.max(0, values[i])));
  const u = new Float32Array(a.rows * k);
  for (let i = 0; i < a.rows; i++) {
    for (let c = 0; c < k; c++) {
      const e = order[c];
      let s = 0;
      for (let r = 0; r < l; r++) s += y[i * l + r] * vectors[r * l + e];
      u[i * k + c] = s;
    }
  }
  return { u, sigma, k };
}
