import { LoomError } from '../errors.js';
import { isStopword, tokenize } from '../text/segment.js';
import type { ChunkRow, Scored } from './backend.js';
import { andClause, parseFilter, type Filter } from './filter.js';
import { capPerSource, fuseRanks, mmrSelect, protectTop, type RankedList } from './fusion.js';
import type { Hit, SearchOptions } from './types.js';

/**
 * Knobs of hybrid retrieval. The defaults are what measured best on the bilingual fixture and
 * the Vue docs (docs/store.md, docs/benchmarks.md); benchmarks pass their own to compare.
 */
export interface RetrievalTuning {
  k0: number;
  vectorWeight: number;
  lexicalWeight: number;
  /** the Latin-only part of a mixed-script query, searched lexically on its own */
  latinWeight: number;
  /** CC-CEDICT expansion of the query (Chinese words → English glosses and back) */
  expansionWeight: number;
  /** top ids of the vector and main lexical list kept in the top k */
  protect: number;
  /** candidates per list, as a multiple of k (at least 50) */
  depth: number;
  /** when the cross-lingual lists run: 'adaptive' = when the main lists find little in the query's language */
  crossLingual: 'adaptive' | 'always' | 'never';
  /** adaptive: the share of same-language chunks among the main lists' top 5 below which they run */
  crossShare: number;
  /** weight factor of a vector list whose best hit scores within the store's noise level */
  noiseWeight: number;
  /** drop query tokens too common to change BM25 ranks (see dropCommon) */
  pruneCommon: boolean;
  /** a CJK query naming an API (Latin tokens): the lexical list again, restricted to the query's language */
  sameLanguageWeight: number;
  /** the list from the store's learned space (learned/), where it has one */
  learnedWeight: number;
  /** its weight when the main lists find little in the question's language (cross-lingual) */
  learnedCrossWeight: number;
}

// Measured on the Vue docs questions (bench/store-retrieval.mjs, docs/benchmarks.md): protecting
// each side's #1 and the adaptive dictionary list with the noise gate beat plain RRF on MRR@10
// at equal found@5; the Latin-only sub-query changed nothing there, so it is off by default.
export const DEFAULT_TUNING: RetrievalTuning = {
  k0: 60,
  vectorWeight: 1,
  lexicalWeight: 1,
  latinWeight: 0,
  expansionWeight: 0.3,
  protect: 1,
  depth: 5,
  crossLingual: 'adaptive',
  crossShare: 0.5,
  noiseWeight: 0.2,
  pruneCommon: true,
  sameLanguageWeight: 1,
  learnedWeight: 0.3,
  learnedCrossWeight: 1.5,
};

type MaybePromise<T> = T | Promise<T>;

/** What search reads from a backend: SQLite + HNSW answers at once, PostgreSQL with promises. */
export interface SearchBackend {
  vectorSearch(query: Float32Array, k: number, filter?: Filter): MaybePromise<Scored[]>;
  /** BM25-ranked chunks containing any of these (already segmented) query tokens */
  lexicalSearch(tokens: string[], k: number, filter?: Filter): MaybePromise<Scored[]>;
  getChunks(ids: number[]): MaybePromise<ChunkRow[]>;
  vectors(ids: number[]): MaybePromise<Map<number, Float32Array>>;
  /** the similarity unrelated chunks reach (see SqliteHnswBackend.noiseLevel) */
  noiseLevel(): MaybePromise<number>;
  /** in how many chunks a query token occurs */
  docFreq(token: string): MaybePromise<number>;
  /** about how many chunks the store holds */
  chunkCount(): MaybePromise<number>;
}

export interface SearchDeps {
  backend: SearchBackend;
  embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array>;
  /** search in the store's learned space (learned/lifecycle.ts); absent or [] without one */
  learned?(query: string, k: number, filter?: Filter): Promise<Scored[]>;
  tuning?: Partial<RetrievalTuning>;
  /** ranking weight by source name (provenance origin): `weight:` of a `loom sync` source */
  weights?: Record<string, number>;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const ASCII_TOKEN = /^[\x00-\x7f]+$/;

/** The tokens a lexical list searches for (OR-ed, BM25): content words, without the very common. */
export async function lexicalTokens(tokens: string[], docFreq?: DocFreq): Promise<string[] | undefined> {
  const unique = [...new Set(tokens.filter((t) => t.length > 0))];
  const content = unique.filter((t) => !isStopword(t));
  let use = (content.length > 0 ? content : unique).slice(0, 64);
  if (docFreq) use = await dropCommon(use, docFreq);
  return use.length > 0 ? use : undefined;
}

export interface DocFreq {
  df(token: string): MaybePromise<number>;
  total: number;
}

/**
 * BM25 ranks with IDF = ln((N - df + 0.5) / (df + 0.5)), floored near zero by FTS5: a token in
 * half the chunks adds nothing to any score, yet FTS5 scores every chunk containing it. Such
 * tokens are dropped (while one token remains), which changes no ranking. (Also dropping tokens
 * in over a quarter of the chunks cost 0.015 found@5 on the Vue questions, so it is not done.)
 */
async function dropCommon(tokens: string[], docFreq: DocFreq): Promise<string[]> {
  if (tokens.length < 2 || docFreq.total < 1000) return tokens;
  const df = new Map<string, number>();
  for (const t of tokens) df.set(t, await docFreq.df(t));
  const share = (t: string) => df.get(t)! / docFreq.total;
  let kept = tokens.filter((t) => share(t) <= 0.5);
  if (kept.length === 0) kept = [tokens.reduce((a, b) => (df.get(a)! <= df.get(b)! ? a : b))];
  return kept;
}

async function expansionTokens(query: string): Promise<string[]> {
  try {
    const { expandQuery } = await import('../text/crosslingual.js');
    const { terms } = expandQuery(query, { maxTerms: 12 });
    return tokenize(terms.join(' '));
  } catch {
    return []; // the dictionary is an optional gain, never a failure of search
  }
}

const CJK_LANGS = ['zh', 'ja', 'ko'];
const isCjkLang = (lang: string) => CJK_LANGS.includes(lang);

/** The filter narrowed to chunks in the query's script family (`same`) or the other one. */
function languageFamily(filter: Filter | undefined, queryIsCjk: boolean, same: boolean): Filter {
  return andClause(filter, { kind: 'lang', values: CJK_LANGS, not: queryIsCjk !== same });
}

/**
 * A Chinese question naming an API ("provide 和 inject 怎么用？") shares its identifiers with the
 * English pages, which repeat them more often and win BM25; its Chinese words are mostly
 * function words. The chunks in the query's language that name every one of its identifiers
 * join the fusion as one more list, so where both languages name the API the question's
 * language wins that tie. Where no such chunk exists (Prometheus only in an English page, or
 * "2GB … OOM kill" never together in Chinese) the list is empty and changes nothing: a looser
 * list (any identifier) cost 0.02 Recall@5 on examples/eval's cross-lingual questions.
 */
async function sameLanguageList(deps: SearchDeps, query: string, tokens: string[], depth: number, filter: Filter | undefined, t: RetrievalTuning, df: DocFreq | undefined): Promise<RankedList | undefined> {
  if (t.sameLanguageWeight <= 0 || !CJK.test(query)) return undefined;
  // identifiers: Latin tokens that are not stopwords or bare numbers
  const names = await lexicalTokens(tokens.filter((tok) => ASCII_TOKEN.test(tok) && !isStopword(tok) && /[a-z]/.test(tok)), df);
  if (!names) return undefined;
  const hits = await deps.backend.lexicalSearch(names, depth, languageFamily(filter, true, true));
  const rows = await deps.backend.getChunks(hits.map((h) => h.id));
  const naming = new Set(rows.filter((r) => { const own = new Set(tokenize(`${r.heading}\n${r.text}`)); return names.every((n) => own.has(n)); }).map((r) => r.id));
  return { name: 'same-language', ids: hits.map((h) => h.id).filter((id) => naming.has(id)), weight: t.sameLanguageWeight };
}

/**
 * Whether the main lists found little in the query's own language (the filter points elsewhere,
 * or the corpus lacks such pages): only then do the cross-lingual lists join the fusion, so
 * they cannot push a page's translation above the page a same-language question asks for.
 */
async function needsCrossLingual(deps: SearchDeps, lists: RankedList[], queryIsCjk: boolean, t: RetrievalTuning): Promise<boolean> {
  if (t.crossLingual === 'never') return false;
  if (t.crossLingual === 'always') return true;
  const top = [...new Set(lists.flatMap((l) => l.ids.slice(0, 5)))];
  if (top.length === 0) return true;
  const same = (await deps.backend.getChunks(top)).filter((r) => isCjkLang(r.lang) === queryIsCjk).length;
  return same / top.length < t.crossShare;
}

/**
 * In cross-lingual mode, a vector list whose best hit is no closer than unrelated chunks are to
 * each other is noise (a Chinese question against English pages with a lexical embedder): it
 * must not outvote the dictionary list. A multilingual embedder scores above the noise and keeps
 * its weight.
 */
async function gateNoise(deps: SearchDeps, list: RankedList, t: RetrievalTuning): Promise<void> {
  if (list.name !== 'vector' || t.noiseWeight >= 1 || !list.scores?.length) return;
  if (list.scores[0] > (await deps.backend.noiseLevel())) return;
  list.weight *= t.noiseWeight;
  list.protect = 0;
}

async function crossLists(deps: SearchDeps, query: string, tokens: string[], depth: number, filter: Filter | undefined, t: RetrievalTuning, df: DocFreq | undefined): Promise<RankedList[]> {
  const queryIsCjk = CJK.test(query);
  const other = languageFamily(filter, queryIsCjk, false);
  const search = async (use: Promise<string[] | undefined>) => {
    const match = await use;
    return match ? (await deps.backend.lexicalSearch(match, depth, other)).map((h) => h.id) : [];
  };
  const lists: RankedList[] = [];
  if (queryIsCjk && t.latinWeight > 0) {
    const latin = tokens.filter((tok) => ASCII_TOKEN.test(tok) && !isStopword(tok));
    if (latin.length > 0) lists.push({ name: 'latin', ids: await search(lexicalTokens(latin, df)), weight: t.latinWeight });
  }
  if (t.expansionWeight > 0) {
    const extra = (await expansionTokens(query)).filter((tok) => !tokens.includes(tok));
    if (extra.length > 0) lists.push({ name: 'expansion', ids: await search(lexicalTokens(extra, df)), weight: t.expansionWeight });
  }
  return lists;
}

/** The ranked lists a query produces in a mode; each is searched under the same filter. */
async function rankedLists(deps: SearchDeps, query: string, mode: string, depth: number, filter: Filter | undefined, signal?: AbortSignal): Promise<RankedList[]> {
  const t = { ...DEFAULT_TUNING, ...deps.tuning };
  const lists: RankedList[] = [];
  const protect = mode === 'hybrid' ? t.protect : 0;
  if (mode !== 'lexical') {
    const v = await deps.embedQuery(query, signal);
    const hits = await deps.backend.vectorSearch(v, depth, filter);
    lists.push({ name: 'vector', ids: hits.map((h) => h.id), scores: hits.map((h) => h.score), weight: t.vectorWeight, protect });
  }
  if (mode === 'vector') return lists;
  const tokens = tokenize(query);
  const df: DocFreq | undefined = t.pruneCommon ? { df: (tok) => deps.backend.docFreq(tok), total: await deps.backend.chunkCount() } : undefined;
  const main = await lexicalTokens(tokens, df);
  const hits = main ? await deps.backend.lexicalSearch(main, depth, filter) : [];
  lists.push({ name: 'lexical', ids: hits.map((h) => h.id), scores: hits.map((h) => h.score), weight: t.lexicalWeight, protect });
  const own = await sameLanguageList(deps, query, tokens, depth, filter, t, df);
  if (own) lists.push(own);
  const cross = await needsCrossLingual(deps, lists, CJK.test(query), t);
  if (cross) {
    await gateNoise(deps, lists[0], t);
    lists.push(...(await crossLists(deps, query, tokens, depth, filter, t, df)));
  }
  // Across languages the learned space is the only list that knows translations beyond the
  // dictionary; within one it mostly adds neighbouring topics, which extractive answers then quote.
  const learnedWeight = cross ? t.learnedCrossWeight : t.learnedWeight;
  if (mode === 'hybrid' && deps.learned && learnedWeight > 0) {
    const hits = await deps.learned(query, depth, filter);
    if (hits.length > 0) lists.push({ name: 'learned', ids: hits.map((h) => h.id), scores: hits.map((h) => h.score), weight: learnedWeight });
  }
  return lists;
}

/** Search: the one code path behind `loom search`, the retrieve step and the eval harness. */
export async function searchStore(deps: SearchDeps, query: string, options: SearchOptions = {}): Promise<Hit[]> {
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new LoomError('USAGE', `k must be an integer from 1 to 1000 (got ${k})`);
  const mode = options.mode ?? 'hybrid';
  if (!['hybrid', 'vector', 'lexical'].includes(mode)) throw new LoomError('USAGE', `unknown search mode "${mode}"`, { hint: 'use hybrid, vector or lexical' });
  if (!query.trim()) return [];
  const t = { ...DEFAULT_TUNING, ...deps.tuning };
  const perSource = options.perSource ?? 3;
  const filter = parseFilter(options.filter, options.lang);
  const depth = Math.max(50, k * t.depth);
  const lists = await rankedLists(deps, query, mode, depth, filter, options.signal);
  options.signal?.throwIfAborted();

  let ranked = fuseRanks(lists, t.k0);
  // single-list modes report that list's own score (cosine, BM25) rather than a fused rank score
  if (mode !== 'hybrid' && lists.length === 1) {
    const own = new Map(lists[0].ids.map((id, i) => [id, lists[0].scores?.[i] ?? 0]));
    ranked = ranked.map((r) => ({ ...r, score: own.get(r.id) ?? r.score }));
  }
  const rows = new Map((await deps.backend.getChunks(ranked.slice(0, depth).map((r) => r.id))).map((r) => [r.id, r]));
  let kept = capPerSource(ranked.filter((r) => rows.has(r.id)), (r) => rows.get(r.id)!.sourceId, perSource);
  if (mode === 'hybrid') kept = protectTop(kept);
  // after the protection of each list's top hits: a source's weight has the last word
  kept = applySourceWeights(kept, rows, deps.weights);
  let final: Scored[] = kept;
  if (options.mmr) {
    const pool = kept.slice(0, Math.max(k * 4, 20));
    final = mmrSelect(pool, await deps.backend.vectors(pool.map((p) => p.id)), k);
  }
  final = final.slice(0, k);
  if (options.minScore !== undefined) final = final.filter((f) => f.score >= options.minScore!);
  return final.map((f) => toHit(rows.get(f.id)!, f.score));
}

/**
 * A synced source's `weight` scales its chunks' scores, so official docs (1) outrank a forum
 * post (0.7) that says the same; on equal fused scores the more recently updated document comes
 * first. Stores without synced sources keep their order untouched.
 */
export function applySourceWeights<T extends { id: number; score: number }>(ranked: T[], rows: Map<number, ChunkRow>, weights: Record<string, number> = {}): T[] {
  if (!ranked.some((r) => rows.get(r.id)?.origin || rows.get(r.id)?.updatedAt) && !ranked.some((r) => rows.get(r.id)?.sourceMeta.includes('"source_name"'))) return ranked;
  const weightOf = (row: ChunkRow | undefined): number => {
    const name = row?.origin ?? (row?.sourceMeta.includes('"source_name"') ? safeJson(row.sourceMeta).source_name : undefined);
    const w = typeof name === 'string' ? weights[name] : undefined;
    return typeof w === 'number' && w > 0 ? w : 1;
  };
  const round = (x: number) => Math.round(x * 1e9) / 1e9;
  const updated = (id: number) => rows.get(id)?.updatedAt ?? '';
  return ranked
    .map((r) => ({ ...r, score: r.score * weightOf(rows.get(r.id)) }))
    .sort((a, b) => round(b.score) - round(a.score) || updated(b.id).localeCompare(updated(a.id)));
}

export function toHit(row: ChunkRow, score: number): Hit {
  const sourceMeta = safeJson(row.sourceMeta);
  const chunkMeta = row.meta ? safeJson(row.meta) : {};
  // a chunk's own url (a forum post's anchor) is more precise than its document's
  const url = typeof chunkMeta.url === 'string' ? chunkMeta.url : row.url;
  return {
    id: row.uid,
    source: row.source,
    heading: row.heading,
    lang: row.lang,
    score: Math.round(score * 1e6) / 1e6,
    text: row.text,
    ...(row.title ? { title: row.title } : {}),
    ...(url ? { url } : {}),
    ...(row.updatedAt ? { updated_at: row.updatedAt } : {}),
    metadata: { ...sourceMeta, ...provenanceOf(row), ...chunkMeta, chunk: row.ord },
  };
}

/** The provenance columns a document has, as hit metadata (url, author, updatedAt, origin, kind). */
function provenanceOf(row: ChunkRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['url', 'author', 'updatedAt', 'origin', 'kind'] as const) if (row[key]) out[key] = row[key]!;
  return out;
}

function safeJson(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
