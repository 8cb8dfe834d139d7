/**
 * Ranking metrics over PAGES, computed here rather than borrowed so that their exact definitions
 * are ours to document and test:
 * - graded relevance with linear gains (as trec_eval / pytrec_eval, hence BEIR, compute nDCG);
 * - a grade of 0 or less means "not relevant";
 * - ties: pages with equal scores form a group whose order is unknown, and every metric is the
 *   expected value over all orders of the group (McSherry & Najork, ECIR 2008), so a metric never
 *   depends on how a sort happened to break a tie;
 * - a query with no relevant page has no score (null), and aggregates skip it (as trec_eval does).
 */

/** graded judgements of one query: page id -> grade (> 0 is relevant) */
export type Judgements = ReadonlyMap<string, number>;

export interface RankedPage {
  id: string;
  /** equal scores mark a tie; without scores the order is taken as strict */
  score?: number;
}

export interface QueryScores {
  ndcg: Record<number, number>;
  recall: Record<number, number>;
  mrr: Record<number, number>;
  /** 1 when at least one relevant page is in the top k (the "found a right page" hit rate) */
  success: Record<number, number>;
}

/**
 * Chunk hits -> pages: maps each hit to its page and keeps only the first occurrence, so a page
 * found by three chunks counts once, at the rank (and score) of its best chunk.
 */
export function pagesFromHits<H extends { source: string; score?: number }>(
  hits: readonly H[],
  pageOf: (hit: H) => string = (hit) => hit.source,
): RankedPage[] {
  const seen = new Set<string>();
  const pages: RankedPage[] = [];
  for (const hit of hits) {
    const id = pageOf(hit);
    if (seen.has(id)) continue;
    seen.add(id);
    pages.push(hit.score === undefined ? { id } : { id, score: hit.score });
  }
  return pages;
}

interface Group {
  start: number; // 0-based position of the group's first member
  size: number;
  gain: number; // sum of the members' grades (relevant ones only)
  relevant: number; // how many members are relevant
}

function sameScore(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

/** Consecutive pages with equal scores form one group; duplicates after the first are ignored. */
function groupsOf(ranked: readonly RankedPage[], judgements: Judgements): Group[] {
  const groups: Group[] = [];
  const seen = new Set<string>();
  let position = 0;
  let lastScore: number | undefined;
  for (const page of ranked) {
    if (seen.has(page.id)) continue;
    seen.add(page.id);
    const grade = Math.max(0, judgements.get(page.id) ?? 0);
    const current = groups[groups.length - 1];
    if (current && sameScore(lastScore, page.score)) {
      current.size++;
    } else {
      groups.push({ start: position, size: 1, gain: 0, relevant: 0 });
    }
    const group = groups[groups.length - 1];
    group.gain += grade;
    if (grade > 0) group.relevant++;
    lastScore = page.score;
    position++;
  }
  return groups;
}

const discount = (position: number) => 1 / Math.log2(position + 2);

function relevantGrades(judgements: Judgements): number[] {
  return [...judgements.values()].filter((g) => g > 0).sort((a, b) => b - a);
}

function ndcgAt(groups: Group[], grades: number[], k: number): number {
  let ideal = 0;
  for (let i = 0; i < Math.min(k, grades.length); i++) ideal += grades[i] * discount(i);
  let dcg = 0;
  for (const g of groups) {
    if (g.start >= k) break;
    let sum = 0;
    for (let i = g.start; i < Math.min(g.start + g.size, k); i++) sum += discount(i);
    // each member is equally likely at each position of the group
    dcg += (g.gain * sum) / g.size;
  }
  return ideal > 0 ? dcg / ideal : 0;
}

function recallAt(groups: Group[], totalRelevant: number, k: number): number {
  let expected = 0;
  for (const g of groups) {
    if (g.start >= k) break;
    const inside = Math.min(g.start + g.size, k) - g.start;
    expected += (g.relevant * inside) / g.size;
  }
  return expected / totalRelevant;
}

/** probability that m places drawn from a group of n holding r relevant include none of them */
function noneDrawn(n: number, r: number, m: number): number {
  let p = 1;
  for (let i = 0; i < m; i++) p *= (n - r - i) / (n - i);
  return Math.max(0, p);
}

function successAt(groups: Group[], k: number): number {
  for (const g of groups) {
    if (g.start >= k) break;
    if (g.relevant === 0) continue;
    const inside = Math.min(g.start + g.size, k) - g.start;
    return 1 - noneDrawn(g.size, g.relevant, inside);
  }
  return 0;
}

function mrrAt(groups: Group[], k: number): number {
  const g = groups.find((x) => x.relevant > 0);
  if (!g || g.start >= k) return 0;
  // P(first relevant member sits at offset j) = P(none in the first j) * r / (n - j)
  let expected = 0;
  for (let j = 0; j <= g.size - g.relevant && g.start + j < k; j++) {
    const p = noneDrawn(g.size, g.relevant, j) * (g.relevant / (g.size - j));
    expected += p / (g.start + j + 1);
  }
  return expected;
}

/**
 * All metrics for one query at each cutoff in `ks`. Returns null when the query has no relevant
 * page (nothing to find: such queries are reported apart, not averaged as zeros or ones).
 */
export function scoreRanking(ranked: readonly RankedPage[], judgements: Judgements, ks: readonly number[]): QueryScores | null {
  const grades = relevantGrades(judgements);
  if (grades.length === 0) return null;
  const groups = groupsOf(ranked, judgements);
  const scores: QueryScores = { ndcg: {}, recall: {}, mrr: {}, success: {} };
  for (const k of ks) {
    scores.ndcg[k] = ndcgAt(groups, grades, k);
    scores.recall[k] = recallAt(groups, grades.length, k);
    scores.mrr[k] = mrrAt(groups, k);
    scores.success[k] = successAt(groups, k);
  }
  return scores;
}

export function ndcgAtK(ranked: readonly RankedPage[], judgements: Judgements, k: number): number {
  return scoreRanking(ranked, judgements, [k])?.ndcg[k] ?? 0;
}
export function recallAtK(ranked: readonly RankedPage[], judgements: Judgements, k: number): number {
  return scoreRanking(ranked, judgements, [k])?.recall[k] ?? 0;
}
export function mrrAtK(ranked: readonly RankedPage[], judgements: Judgements, k: number): number {
  return scoreRanking(ranked, judgements, [k])?.mrr[k] ?? 0;
}
export function successAtK(ranked: readonly RankedPage[], judgements: Judgements, k: number): number {
  return scoreRanking(ranked, judgements, [k])?.success[k] ?? 0;
}

/** Rank of the first relevant page (1-based), or undefined: for per-query miss reports. */
export function firstRelevantRank(ranked: readonly RankedPage[], judgements: Judgements): number | undefined {
  const seen = new Set<string>();
  let rank = 0;
  for (const page of ranked) {
    if (seen.has(page.id)) continue;
    seen.add(page.id);
    rank++;
    if ((judgements.get(page.id) ?? 0) > 0) return rank;
  }
  return undefined;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
