import type { Scored } from './backend.js';
import { dot } from './vectors.js';

export interface RankedList {
  name: string;
  ids: number[];
  /** the list's own scores (cosine, BM25), parallel to ids */
  scores?: number[];
  weight: number;
  /** this many of the list's top ids are kept in the final top k whatever the fusion says */
  protect?: number;
}

export interface Fused {
  id: number;
  score: number;
  /** the ids this one must not be displaced below k for */
  protectedRank?: number;
}

/**
 * Weighted reciprocal rank fusion: score(d) = Σ weight / (k0 + rank). Scores are divided by the
 * best possible score (every list ranking d first), so a hybrid score lies in (0, 1].
 */
export function fuseRanks(lists: RankedList[], k0 = 60): Fused[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.ids.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + list.weight / (k0 + rank + 1)));
  }
  const best = lists.reduce((s, l) => s + (l.ids.length ? l.weight : 0), 0) / (k0 + 1) || 1;
  const protectedRank = new Map<number, number>();
  for (const list of lists) {
    for (let r = 0; r < Math.min(list.protect ?? 0, list.ids.length); r++) {
      const id = list.ids[r];
      protectedRank.set(id, Math.min(protectedRank.get(id) ?? Infinity, r));
    }
  }
  return [...scores]
    .map(([id, s]) => ({ id, score: s / best, protectedRank: protectedRank.get(id) }))
    .sort((a, b) => b.score - a.score || a.id - b.id);
}

/**
 * Plain RRF loses a page that only one side ranks high (a #1 lexical hit absent from the vector
 * list scores below anything both lists rank in their top 60). A protected id at rank r of its
 * list is moved up to final position 2r+1 (0-based) when fusion put it lower: each side's #1 stays
 * in the top 2, its #2 in the top 4, whatever the other side thinks.
 */
export function protectTop<T extends { protectedRank?: number; score: number }>(ranked: T[]): T[] {
  const out = [...ranked];
  const prot = out.filter((r) => r.protectedRank !== undefined).sort((a, b) => a.protectedRank! - b.protectedRank! || b.score - a.score);
  let floor = 0;
  for (const p of prot) {
    let at = out.indexOf(p);
    // an earlier protected id keeps its place: two #1s share the top 2, two #2s the next two
    const target = Math.max(2 * p.protectedRank! + 1, floor);
    if (at > target) {
      out.splice(at, 1);
      // it ties with the hit it displaces, so scores still read best-first
      out.splice(target, 0, { ...p, score: out[target].score });
      at = target;
    }
    floor = Math.max(floor, at + 1);
  }
  return out;
}

/** At most `perSource` entries per source, keeping order. */
export function capPerSource<T>(ranked: T[], sourceOf: (t: T) => number | string, perSource: number): T[] {
  if (!perSource || perSource <= 0) return ranked;
  const seen = new Map<number | string, number>();
  return ranked.filter((r) => {
    const s = sourceOf(r);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    return n < perSource;
  });
}

/**
 * Maximal marginal relevance: picks k by λ·relevance − (1−λ)·max similarity to those already
 * picked. Relevance is the candidate's score rescaled to [0, 1] within the candidates.
 */
export function mmrSelect(candidates: Scored[], vectors: Map<number, Float32Array>, k: number, lambda = 0.7): Scored[] {
  if (candidates.length <= 1) return candidates.slice(0, k);
  const max = Math.max(...candidates.map((c) => c.score));
  const min = Math.min(...candidates.map((c) => c.score));
  const rel = (c: Scored) => (max > min ? (c.score - min) / (max - min) : 1);
  const picked: Scored[] = [];
  const pool = [...candidates];
  while (picked.length < k && pool.length > 0) {
    let bestI = 0;
    let bestV = -Infinity;
    pool.forEach((c, i) => {
      const v = vectors.get(c.id);
      let sim = 0;
      if (v) for (const p of picked) {
        const pv = vectors.get(p.id);
        if (pv && pv.length === v.length) sim = Math.max(sim, dot(v, pv));
      }
      const value = lambda * rel(c) - (1 - lambda) * sim;
      if (value > bestV) { bestV = value; bestI = i; }
    });
    picked.push(pool.splice(bestI, 1)[0]);
  }
  return picked;
}
