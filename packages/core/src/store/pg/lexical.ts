import type { Scored } from '../backend.js';
import type { Sql } from './connect.js';
import type { PgFilter } from './filter.js';

/** FTS5's bm25() constants and the SQLite store's column weights (title, heading, body). */
const K1 = 1.2;
const B = 0.75;
export const COLUMN_WEIGHTS = { A: 4, B: 2.5, C: 1 } as const;

const NOT_TOKEN = /[^\p{L}\p{N}\p{Co}]+/u;
const LATIN_MARKS = /(\p{Script=Latin})\p{M}+/gu;

/**
 * Segmented text split and folded as FTS5's unicode61 tokenizer (remove_diacritics 2) does:
 * runs of letters, digits and private-use characters, lower case, Latin accents dropped. Given
 * this, PostgreSQL's parser finds exactly these words (its own rules would keep "fetch.retry" or
 * "a-b" whole), and the Porter dictionary stems the ASCII ones as FTS5's porter does.
 */
export function ftsText(segmented: string): string {
  if (!segmented) return '';
  return segmented.normalize('NFD').replace(LATIN_MARKS, '$1').normalize('NFC').toLowerCase().split(NOT_TOKEN).filter(Boolean).join(' ');
}

/** The tsvector of a chunk: title, heading and body of the segmented text, weighted A, B, C. */
export const FTS_EXPR = (title: string, heading: string, body: string) =>
  `setweight(to_tsvector('{s}.loom', ${title}), 'A') || setweight(to_tsvector('{s}.loom', ${heading}), 'B') || setweight(to_tsvector('{s}.loom', ${body}), 'C')`;

/** A query token as FTS5 sees it: one word, or a phrase of adjacent words ("fetch.retry", "1.8"). */
export interface Term {
  lexemes: string[];
}

/** The tsquery matching a term: its lexemes adjacent, in order. */
export function termQuery(term: Term): string {
  return term.lexemes.map(quoteLexeme).join(' <-> ');
}

function quoteLexeme(l: string): string {
  return `'${l.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The terms the store's text search configuration makes of query tokens (split, stemmed, in order). */
export async function toTerms(sql: Sql, tokens: string[]): Promise<Term[]> {
  if (tokens.length === 0) return [];
  const rows = await sql.query<{ i: string; l: string }>(
    `SELECT t.i::text AS i, u.lexeme AS l FROM unnest($1::text[]) WITH ORDINALITY AS t(tok, i), unnest(to_tsvector('{s}.loom', t.tok)) u, unnest(u.positions) p
     ORDER BY t.i, p`,
    [tokens.map(ftsText)],
  );
  const byToken = new Map<string, string[]>();
  for (const r of rows) byToken.set(r.i, [...(byToken.get(r.i) ?? []), r.l]);
  const seen = new Set<string>();
  const terms: Term[] = [];
  for (const lexemes of byToken.values()) {
    const key = lexemes.join(' ');
    if (!seen.has(key)) { seen.add(key); terms.push({ lexemes }); }
  }
  return terms;
}

const WEIGHT: Record<string, number> = COLUMN_WEIGHTS;

/** Column-weighted occurrences of a term in one chunk, from its lexemes' positions and weights. */
function termFreq(term: Term, lex: Map<string, { pos: number[]; w: string[] }>): number {
  const first = lex.get(term.lexemes[0]);
  if (!first) return 0;
  const rest = term.lexemes.slice(1).map((l) => new Set(lex.get(l)?.pos ?? []));
  let f = 0;
  first.pos.forEach((p, i) => {
    if (rest.every((set, j) => set.has(p + j + 1))) f += WEIGHT[first.w[i]] ?? 1;
  });
  return f;
}

/**
 * Okapi BM25 as SQLite FTS5 computes it, so both stores rank alike: per query term (a word or
 * a phrase) IDF = max(ln((N - df + 0.5) / (df + 0.5)), 1e-6), the term frequency counts its
 * occurrences weighted by column, the document length is the chunk's token count. PostgreSQL
 * finds the candidates (GIN index); the formula runs here over their positions. (ts_rank_cd has
 * no IDF: a common word would weigh as much as a rare one.)
 */
export async function bm25Search(
  sql: Sql,
  terms: Term[],
  stats: { n: number; avgLen: number; df: (t: Term) => number },
  k: number,
  filter?: PgFilter,
): Promise<Scored[]> {
  if (terms.length === 0 || stats.n === 0) return [];
  const lexemes = [...new Set(terms.flatMap((t) => t.lexemes))];
  const p0 = (filter?.params.length ?? 0) + 1;
  const rows = await sql.query<{ id: string; len: number; l: string; pos: number[]; w: string[] }>(
    `SELECT c.id::text AS id, c.fts_len AS len, u.lexeme AS l, u.positions AS pos, u.weights AS w
     FROM {s}.chunks c, unnest(c.fts) u
     WHERE c.fts @@ $${p0 + 1}::tsquery${filter ? ` AND ${filter.where}` : ''} AND u.lexeme = ANY($${p0}::text[])`,
    [...(filter?.params ?? []), lexemes, terms.map((t) => `(${termQuery(t)})`).join(' | ')],
  );
  const chunks = new Map<string, { len: number; lex: Map<string, { pos: number[]; w: string[] }> }>();
  for (const r of rows) {
    let c = chunks.get(r.id);
    if (!c) chunks.set(r.id, (c = { len: r.len, lex: new Map() }));
    c.lex.set(r.l, { pos: r.pos, w: r.w });
  }
  const idf = terms.map((t) => Math.max(Math.log((stats.n - stats.df(t) + 0.5) / (stats.df(t) + 0.5)), 1e-6));
  const avg = Math.max(stats.avgLen, 1);
  const scored: Scored[] = [];
  for (const [id, c] of chunks) {
    let score = 0;
    terms.forEach((t, i) => {
      const f = termFreq(t, c.lex);
      if (f > 0) score += (idf[i] * f * (K1 + 1)) / (f + K1 * (1 - B + (B * c.len) / avg));
    });
    if (score > 0) scored.push({ id: Number(id), score });
  }
  return scored.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}
