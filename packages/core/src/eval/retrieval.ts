import { LoomError } from '../errors.js';
import type { Hit } from '../store/types.js';
import type { EvalQuery } from './cases.js';
import { type QueryScores, firstRelevantRank, mean, pagesFromHits, scoreRanking } from './metrics.js';

export type RetrievalMode = 'hybrid' | 'vector' | 'lexical';

/** What the eval needs from a store: DocumentStore satisfies it, and so does any wrapper or baseline. */
export interface SearchableStore {
  search(query: string, options?: {
    k?: number; mode?: RetrievalMode; lang?: string; filter?: Record<string, string>; mmr?: boolean; signal?: AbortSignal;
  }): Promise<Hit[]>;
}

export interface RetrievalEvalOptions {
  store: SearchableStore;
  queries: readonly EvalQuery[];
  mode?: RetrievalMode;
  /** page cutoff for nDCG and MRR, and the deepest recall cutoff (default 10) */
  k?: number;
  /** chunks fetched per query before grouping them by page (default max(40, 4k), at most 200):
   *  k chunks collapse to fewer distinct pages, and the metrics are per page */
  depth?: number;
  mmr?: boolean;
  /** per-question search restrictions (default: the question's own `filter`) */
  filterFor?: (query: EvalQuery) => { lang?: string; filter?: Record<string, string> } | undefined;
  /** hit -> page id (default: its source path) */
  pageOf?: (hit: Hit) => string;
  label?: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface RetrievalRow {
  id: string;
  query: string;
  lang?: string;
  kind?: string;
  gold: string[];
  /** the top k pages returned */
  pages: string[];
  /** 1-based rank of the first relevant page among the fetched pages */
  firstRank?: number;
  /** null: no relevant page exists (a no-answer question), left out of the averages */
  scores: QueryScores | null;
  latencyMs: number;
}

export interface RetrievalAggregate {
  count: number;
  ndcg: Record<number, number>;
  recall: Record<number, number>;
  mrr: Record<number, number>;
  success: Record<number, number>;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export interface RetrievalReport {
  label: string;
  mode: RetrievalMode;
  k: number;
  ks: number[];
  depth: number;
  rows: RetrievalRow[];
  overall: RetrievalAggregate;
  /** by 'kind=…', 'lang=…' and 'kind=… lang=…' */
  groups: Record<string, RetrievalAggregate>;
  /** questions without any relevant page (not averaged) */
  skipped: number;
}

export function cutoffs(k: number): number[] {
  return [...new Set([1, 5, 10, k])].filter((x) => x <= k).sort((a, b) => a - b);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Averages the scored rows (rows without relevant pages are skipped). */
export function aggregate(rows: readonly RetrievalRow[], ks: readonly number[]): RetrievalAggregate {
  const scored = rows.filter((r) => r.scores !== null).map((r) => r.scores as QueryScores);
  const avg = (pick: (s: QueryScores) => Record<number, number>) =>
    Object.fromEntries(ks.map((k) => [k, mean(scored.map((s) => pick(s)[k]))]));
  const latencies = rows.map((r) => r.latencyMs);
  return {
    count: scored.length,
    ndcg: avg((s) => s.ndcg), recall: avg((s) => s.recall), mrr: avg((s) => s.mrr), success: avg((s) => s.success),
    latencyP50Ms: percentile(latencies, 0.5), latencyP95Ms: percentile(latencies, 0.95),
  };
}

function groupRows(rows: readonly RetrievalRow[], ks: readonly number[]): Record<string, RetrievalAggregate> {
  const buckets = new Map<string, RetrievalRow[]>();
  const put = (key: string, row: RetrievalRow) => {
    const list = buckets.get(key) ?? [];
    list.push(row);
    buckets.set(key, list);
  };
  for (const row of rows) {
    if (row.kind) put(`kind=${row.kind}`, row);
    if (row.lang) put(`lang=${row.lang}`, row);
    if (row.kind && row.lang) put(`kind=${row.kind} lang=${row.lang}`, row);
  }
  const out: Record<string, RetrievalAggregate> = {};
  for (const key of [...buckets.keys()].sort()) out[key] = aggregate(buckets.get(key)!, ks);
  return out;
}

/**
 * Runs every question against the store in one mode and scores the ranked PAGES (chunk hits are
 * grouped by page, first occurrence kept). Questions run one at a time so latencies are honest.
 */
export async function evaluateRetrieval(options: RetrievalEvalOptions): Promise<RetrievalReport> {
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new LoomError('USAGE', `k must be a positive integer (got ${k})`);
  const mode = options.mode ?? 'hybrid';
  const depth = options.depth ?? Math.min(200, Math.max(40, 4 * k));
  const ks = cutoffs(k);
  const filterFor = options.filterFor ?? ((q: EvalQuery) => (q.filter ? { filter: q.filter, lang: q.filter.lang } : undefined));
  const rows: RetrievalRow[] = [];
  for (const q of options.queries) {
    if (options.signal?.aborted) throw new LoomError('RUN_ABORTED', 'evaluation interrupted');
    const restrict = filterFor(q) ?? {};
    const t0 = performance.now();
    const hits = await options.store.search(q.query, {
      k: depth, mode, mmr: options.mmr, signal: options.signal,
      ...(restrict.lang ? { lang: restrict.lang } : {}), ...(restrict.filter ? { filter: restrict.filter } : {}),
    });
    const latencyMs = performance.now() - t0;
    const ranked = pagesFromHits(hits, options.pageOf);
    rows.push({
      id: q.id, query: q.query, lang: q.lang, kind: q.kind,
      gold: [...q.gold].filter(([, g]) => g > 0).map(([p]) => p),
      pages: ranked.slice(0, k).map((p) => p.id),
      firstRank: firstRelevantRank(ranked, q.gold),
      scores: scoreRanking(ranked, q.gold, ks),
      latencyMs,
    });
    options.onProgress?.(rows.length, options.queries.length);
  }
  return {
    label: options.label ?? (options.mmr ? `${mode}+mmr` : mode), mode, k, ks, depth, rows,
    overall: aggregate(rows, ks), groups: groupRows(rows, ks), skipped: rows.filter((r) => r.scores === null).length,
  };
}
