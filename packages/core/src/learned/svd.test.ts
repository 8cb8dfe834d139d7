import { describe, expect, it } from 'vitest';
import { symmetricEigen, truncatedSvd, type Csr } from './svd.js';
import { translationGroups, translationKey } from './pairs.js';

/** A sparse matrix from dense rows (zeros dropped). */
function csr(dense: number[][]): Csr {
  const ptr = [0];
  const idx: number[] = [];
  const vals: number[] = [];
  for (const row of dense) {
    row.forEach((v, j) => { if (v !== 0) { idx.push(j); vals.push(v); } });
    ptr.push(idx.length);
  }
  return { rows: dense.length, cols: dense[0].length, ptr: Int32Array.from(ptr), idx: Int32Array.from(idx), vals: Float32Array.from(vals) };
}

/** Singular values from the eigenvalues of AᵀA, computed densely. */
function exactSingularValues(dense: number[][]): number[] {
  const n = dense[0].length;
  const g = new Float64Array(n * n);
  for (const row of dense) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] += row[i] * row[j];
  return [...symmetricEigen(g, n).values].map((v) => Math.sqrt(Math.max(0, v))).sort((a, b) => b - a);
}

describe('truncated SVD', () => {
  // a 60 × 30 sparse matrix of rank 5 (sums of outer products of sparse vectors) plus tiny noise
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const dense = Array.from({ length: 60 }, () => new Array<number>(30).fill(0));
  for (let r = 0; r < 5; r++) {
    const left = Array.from({ length: 60 }, () => (rnd() < 0.3 ? rnd() * (5 - r) : 0));
    const right = Array.from({ length: 30 }, () => (rnd() < 0.4 ? rnd() : 0));
    for (let i = 0; i < 60; i++) for (let j = 0; j < 30; j++) dense[i][j] += left[i] * right[j];
  }

  it('finds the leading singular values of a low-rank matrix', () => {
    const exact = exactSingularValues(dense);
    const { sigma, k } = truncatedSvd(csr(dense), { k: 5 });
    expect(k).toBe(5);
    for (let c = 0; c < 5; c++) expect(sigma[c]).toBeCloseTo(exact[c], 3);
  });

  it('returns orthonormal left singular vectors, the same ones for the same input', () => {
    const a = truncatedSvd(csr(dense), { k: 4 });
    const b = truncatedSvd(csr(dense), { k: 4 });
    expect(Array.from(a.u)).toEqual(Array.from(b.u));
    for (let p = 0; p < 4; p++) {
      for (let q = 0; q < 4; q++) {
        let dot = 0;
        for (let i = 0; i < 60; i++) dot += a.u[i * 4 + p] * a.u[i * 4 + q];
        expect(dot).toBeCloseTo(p === q ? 1 : 0, 4);
      }
    }
  });

  it('asks for no more dimensions than the matrix has', () => {
    expect(truncatedSvd(csr([[1, 0], [0, 2], [1, 1]]), { k: 50 }).k).toBe(2);
  });
});

describe('translation pairs', () => {
  it.each([
    ['en/guide/x.md', '*/guide/x.md'],
    ['zh/guide/x.md', '*/guide/x.md'],
    ['docs/zh-CN/api/y.md', 'docs/*/api/y.md'],
    ['guide/intro.zh.md', 'guide/intro.*.md'],
    ['guide/intro.md', undefined],
    ['src/io/read.md', undefined], // "io" is not a language this project knows
  ])('%s has the key %s', (source, key) => {
    expect(translationKey(source)).toBe(key);
  });

  it('groups a page with its translations by path or by translationOf, never a page alone', () => {
    const pages = [
      { source: 'en/a.md' }, { source: 'zh/a.md' }, { source: 'en/b.md' },
      { source: 'notes/c.md' }, { source: 'notes/c-zh.md', meta: { translationOf: 'notes/c.md' } },
    ];
    const groups = translationGroups(pages).map((g) => g.map((p) => p.source).sort());
    expect(groups).toEqual([['en/a.md', 'zh/a.md'], ['notes/c-zh.md', 'notes/c.md']]);
  });
});
