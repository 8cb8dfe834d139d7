import type { ChunkRecord, ChunkRow, Scored, SourceRecord, SourceRow } from '../backend.js';
import type { Filter } from '../filter.js';
import { dot, fromBlob } from '../vectors.js';
import type { PgConnection, Sql } from './connect.js';
import { toPgFilter } from './filter.js';
import { bm25Search, FTS_EXPR, ftsText, termQuery, toTerms, type Term } from './lexical.js';
import { vectorExpr } from './schema.js';

type Moved = { file: string; path: string; name: string; mtimeMs: number };

/** Float vectors in pgvector's text form and back (the `pgvector` package's own conversion). */
interface VectorCodec {
  toSql(v: number[]): string;
  fromSql(s: string): number[];
}

const SOURCE_COLS = 'id::text AS id, file, path, name, hash';

/**
 * The PostgreSQL + pgvector backend: the same operations as the SQLite store's, async. Every
 * write is one transaction (a document and all its chunks, or nothing) that also bumps the
 * `changes` sequence, on which readers key their caches.
 */
export class PgBackend {
  private cacheKey = '';
  private stats?: { n: number; avgLen: number };
  private readonly dfCache = new Map<string, number>();
  private names?: { id: string; name: string }[];
  private noise?: number;
  /** hnsw.ef_search per query (at least 2k) and whether pgvector ≥ 0.8 can scan iteratively */
  ef = 40;
  iterative = false;

  constructor(readonly db: PgConnection, readonly dimensions: number, private readonly codec: VectorCodec) {}

  static async create(db: PgConnection, dimensions: number): Promise<PgBackend> {
    const { default: pgvector } = await import('pgvector');
    return new PgBackend(db, dimensions, pgvector as unknown as VectorCodec);
  }

  // --- settings

  async getSetting<T>(key: string): Promise<T | undefined> {
    const rows = await this.db.query<{ value: T }>('SELECT value FROM {s}.settings WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async setSetting(key: string, value: unknown, sql: Sql = this.db): Promise<void> {
    await sql.query('INSERT INTO {s}.settings(key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, JSON.stringify(value)]);
  }

  // --- sources

  async sourcesUnder(dir: string): Promise<SourceRow[]> {
    return this.sourceRows('starts_with(file, $1)', [dir]);
  }

  async sourcesOfFile(file: string): Promise<SourceRow[]> {
    return this.sourceRows('file = $1', [file]);
  }

  /** documents whose key (`path`) starts with this prefix (a sync source's documents) */
  async sourcesWithKeyPrefix(prefix: string): Promise<SourceRow[]> {
    return this.sourceRows('starts_with(path, $1)', [prefix]);
  }

  async sourcesByHash(hash: string): Promise<SourceRow[]> {
    return this.sourceRows('hash = $1', [hash]);
  }

  private async sourceRows(where: string, params: unknown[]): Promise<SourceRow[]> {
    const rows = await this.db.query<SourceRow & { id: string }>(`SELECT ${SOURCE_COLS} FROM {s}.sources WHERE ${where}`, params);
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  async vectorsByTextHash(hashes: string[]): Promise<Map<string, Float32Array>> {
    const rows = await this.db.query<{ h: string; v: string }>(
      'SELECT DISTINCT ON (c.text_hash) c.text_hash AS h, v.v::text AS v FROM {s}.chunks c JOIN {s}.vectors v ON v.chunk_id = c.id WHERE c.text_hash = ANY($1::text[])',
      [[...new Set(hashes)]],
    );
    return new Map(rows.map((r) => [r.h, Float32Array.from(this.codec.fromSql(r.v))]));
  }

  // --- writes (each one transaction)

  /** PostgreSQL keeps its index itself: nothing to write out between batches. */
  checkpoint(): void {}

  /** Replaces one document and its chunks; unchanged chunks keep their row. */
  async upsert(source: SourceRecord, chunks: ChunkRecord[]): Promise<number> {
    return this.db.tx(async (sql) => {
      await sql.query("SELECT nextval('{s}.changes')");
      const [{ id }] = await sql.query<{ id: string }>(
        `INSERT INTO {s}.sources(file, path, name, hash, size, mtime_ms, lang, title, meta, tags, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10::text[], now())
         ON CONFLICT (path) DO UPDATE SET file = excluded.file, name = excluded.name, hash = excluded.hash, size = excluded.size,
           mtime_ms = excluded.mtime_ms, lang = excluded.lang, title = excluded.title, meta = excluded.meta, tags = excluded.tags, updated_at = now()
         RETURNING id::text AS id`,
        [source.file, source.path, source.name, source.hash, source.size, source.mtimeMs, source.lang, source.title ?? null, JSON.stringify(source.meta ?? {}), [...new Set(source.tags)]],
      );
      await this.writeChunks(sql, id, chunks);
      return Number(id);
    });
  }

  private async writeChunks(sql: Sql, sourceId: string, chunks: ChunkRecord[]): Promise<void> {
    await sql.query('DELETE FROM {s}.chunks WHERE source_id = $1 AND NOT (uid = ANY($2::text[]))', [sourceId, chunks.map((c) => c.uid)]);
    if (chunks.length === 0) return;
    const col = <T>(f: (c: ChunkRecord) => T) => chunks.map(f);
    const inserted = await sql.query<{ id: string; uid: string }>(
      `INSERT INTO {s}.chunks(uid, source_id, ord, heading, text, start, "end", lang, text_hash, meta, fts)
       SELECT x.uid, $1, x.ord, x.heading, x.text, x.st, x.en, x.lang, x.th, x.meta::jsonb, ${FTS_EXPR('x.ft', 'x.fh', 'x.fb')}
       FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
         WITH ORDINALITY AS x(uid, ord, heading, text, st, en, lang, th, meta, ft, fh, fb, n)
       ORDER BY x.n
       ON CONFLICT (uid) DO UPDATE SET source_id = excluded.source_id, ord = excluded.ord, heading = excluded.heading, text = excluded.text,
         start = excluded.start, "end" = excluded."end", lang = excluded.lang, text_hash = excluded.text_hash, meta = excluded.meta, fts = excluded.fts
       RETURNING id::text AS id, uid`,
      [sourceId, col((c) => c.uid), col((c) => c.ord), col((c) => c.heading), col((c) => c.text), col((c) => c.start), col((c) => c.end), col((c) => c.lang),
        col((c) => c.textHash), col((c) => (c.meta ? JSON.stringify(c.meta) : null)), col((c) => ftsText(c.fts.title)), col((c) => ftsText(c.fts.heading)), col((c) => ftsText(c.fts.body))],
    );
    const idOf = new Map(inserted.map((r) => [r.uid, r.id]));
    const vectors = chunks.map((c) => {
      if (!c.vector) throw new Error(`chunk ${c.uid} has no vector`);
      return this.codec.toSql(Array.from(c.vector instanceof Float32Array ? c.vector : fromBlob(c.vector)));
    });
    await sql.query(
      `INSERT INTO {s}.vectors(chunk_id, v) SELECT * FROM unnest($1::bigint[], $2::vector[])
       ON CONFLICT (chunk_id) DO UPDATE SET v = excluded.v WHERE {s}.vectors.v IS DISTINCT FROM excluded.v`,
      [chunks.map((c) => idOf.get(c.uid)), vectors],
    );
  }

  /** A rename: same content under a new path keeps its chunks and vectors. */
  async moveSource(id: number, to: Moved, uids: Map<number, string>): Promise<void> {
    await this.db.tx(async (sql) => {
      await sql.query("SELECT nextval('{s}.changes')");
      await sql.query('UPDATE {s}.sources SET file = $1, path = $2, name = $3, mtime_ms = $4, updated_at = now() WHERE id = $5', [to.file, to.path, to.name, to.mtimeMs, id]);
      const ids = [...uids.keys()];
      // a temporary uid first: uids may swap between the moved rows
      await sql.query("UPDATE {s}.chunks SET uid = '~' || id WHERE id = ANY($1::bigint[])", [ids]);
      await sql.query('DELETE FROM {s}.chunks WHERE uid = ANY($1::text[])', [[...uids.values()]]);
      await sql.query('UPDATE {s}.chunks c SET uid = x.uid FROM unnest($1::bigint[], $2::text[]) AS x(id, uid) WHERE c.id = x.id', [ids, [...uids.values()]]);
    });
  }

  async chunksOfSource(sourceId: number): Promise<{ id: number; ord: number; textHash: string }[]> {
    const rows = await this.db.query<{ id: string; ord: number; textHash: string }>('SELECT id::text AS id, ord, text_hash AS "textHash" FROM {s}.chunks WHERE source_id = $1 ORDER BY ord', [sourceId]);
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  async delete(sourceIds: number[]): Promise<void> {
    if (sourceIds.length === 0) return;
    await this.db.tx(async (sql) => {
      await sql.query("SELECT nextval('{s}.changes')");
      await sql.query('DELETE FROM {s}.sources WHERE id = ANY($1::bigint[])', [sourceIds]);
    });
  }

  /** Deletes chunks by uid (LangChain ids), and documents left without chunks. */
  async deleteChunks(uids: string[]): Promise<number> {
    return this.db.tx(async (sql) => {
      await sql.query("SELECT nextval('{s}.changes')");
      const gone = await sql.query<{ s: string }>('DELETE FROM {s}.chunks WHERE uid = ANY($1::text[]) RETURNING source_id::text AS s', [uids]);
      await sql.query('DELETE FROM {s}.sources s WHERE s.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM {s}.chunks c WHERE c.source_id = s.id)', [[...new Set(gone.map((g) => g.s))]]);
      return gone.length;
    });
  }

  // --- reads for search

  /** Caches (BM25 statistics, source names, noise) hold while no write has happened since. */
  private async fresh(): Promise<void> {
    const [row] = await this.db.query<{ v: string; c: boolean }>('SELECT last_value::text AS v, is_called AS c FROM {s}.changes');
    const key = `${row.v}:${row.c}`;
    if (key === this.cacheKey) return;
    this.cacheKey = key;
    this.stats = undefined;
    this.names = undefined;
    this.noise = undefined;
    this.dfCache.clear();
  }

  private async filterSql(filter: Filter | undefined, first: number) {
    if (!filter) return undefined;
    await this.fresh();
    return toPgFilter(filter, first, async () => (this.names ??= await this.db.query<{ id: string; name: string }>('SELECT id::text AS id, name FROM {s}.sources')));
  }

  /**
   * HNSW (inner product) with hnsw.ef_search = max(the store's ef, 2k), set for this query only;
   * with a filter, pgvector ≥ 0.8 keeps scanning the graph until k rows pass it.
   */
  async vectorSearch(query: Float32Array, k: number, filter?: Filter): Promise<Scored[]> {
    const where = await this.filterSql(filter, 3);
    const { expr } = vectorExpr(this.dimensions);
    const cast = expr === 'v' ? '::vector' : `::halfvec(${this.dimensions})`;
    return this.db.tx(async (sql) => {
      await sql.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(Math.min(1000, Math.max(this.ef, 2 * k)))]);
      if (this.iterative) await sql.query("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)");
      const rows = await sql.query<{ id: string; d: number }>(
        `SELECT v.chunk_id::text AS id, ${expr.replace('v', 'v.v')} <#> $1${cast} AS d FROM {s}.vectors v JOIN {s}.chunks c ON c.id = v.chunk_id
         ${where ? `WHERE ${where.where}` : ''} ORDER BY ${expr.replace('v', 'v.v')} <#> $1${cast} LIMIT $2`,
        [this.codec.toSql(Array.from(query)), k, ...(where?.params ?? [])],
      );
      return rows.map((r) => ({ id: Number(r.id), score: -Number(r.d) }));
    });
  }

  async lexicalSearch(tokens: string[], k: number, filter?: Filter): Promise<Scored[]> {
    const terms = await toTerms(this.db, tokens);
    const where = await this.filterSql(filter, 1);
    const stats = await this.bm25Stats();
    const df = new Map<Term, number>();
    for (const t of terms) df.set(t, await this.termFreq(t));
    return bm25Search(this.db, terms, { ...stats, df: (t) => df.get(t) ?? 0 }, k, where);
  }

  private async bm25Stats(): Promise<{ n: number; avgLen: number }> {
    await this.fresh();
    if (!this.stats) {
      const [r] = await this.db.query<{ n: string; a: number | null }>('SELECT count(*)::text AS n, avg(fts_len)::float8 AS a FROM {s}.chunks');
      this.stats = { n: Number(r.n), avgLen: Number(r.a ?? 0) };
    }
    return this.stats;
  }

  /** In how many chunks a term (word or phrase) occurs; cached until the store changes. */
  private async termFreq(term: Term): Promise<number> {
    await this.fresh();
    const key = term.lexemes.join(' ');
    let n = this.dfCache.get(key);
    if (n === undefined) {
      const [r] = await this.db.query<{ n: string }>('SELECT count(*)::text AS n FROM {s}.chunks WHERE fts @@ $1::tsquery', [termQuery(term)]);
      n = Number(r.n);
      if (this.dfCache.size > 50000) this.dfCache.clear();
      this.dfCache.set(key, n);
    }
    return n;
  }

  /** In how many chunks a query token occurs (as FTS5 counts a quoted token: a phrase). */
  async docFreq(token: string): Promise<number> {
    const [term] = await toTerms(this.db, [token]);
    return term ? this.termFreq(term) : 0;
  }

  async chunkCount(): Promise<number> {
    return (await this.bm25Stats()).n;
  }

  async getChunks(ids: number[]): Promise<ChunkRow[]> {
    if (ids.length === 0) return [];
    return this.chunkRows('c.id = ANY($1::bigint[])', [ids]);
  }

  /** Up to `limit` chunks passing the filter with ids above `afterId`, in id order (for scans). */
  async scanChunks(afterId: number, limit: number, filter?: Filter): Promise<ChunkRow[]> {
    const where = await this.filterSql(filter, 3);
    return this.chunkRows(`c.id > $1${where ? ` AND ${where.where}` : ''} ORDER BY c.id LIMIT $2`, [afterId, limit, ...(where?.params ?? [])]);
  }

  private async chunkRows(where: string, params: unknown[]): Promise<ChunkRow[]> {
    const rows = await this.db.query<ChunkRow & { id: string; sourceId: string; meta: unknown; sourceMeta: unknown }>(
      `SELECT c.id::text AS id, c.uid, c.source_id::text AS "sourceId", s.name AS source, s.title, c.heading, c.text, c.lang, c.ord, c.meta, s.meta AS "sourceMeta"
       FROM {s}.chunks c JOIN {s}.sources s ON s.id = c.source_id WHERE ${where}`,
      params,
    );
    return rows.map((r) => ({ ...r, id: Number(r.id), sourceId: Number(r.sourceId), meta: r.meta == null ? null : JSON.stringify(r.meta), sourceMeta: JSON.stringify(r.sourceMeta ?? {}) }));
  }

  async vectors(ids: number[]): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; v: string }>('SELECT chunk_id::text AS id, v::text AS v FROM {s}.vectors WHERE chunk_id = ANY($1::bigint[])', [ids]);
    return new Map(rows.map((r) => [Number(r.id), Float32Array.from(this.codec.fromSql(r.v))]));
  }

  /** As SqliteHnswBackend.noiseLevel: the 99th percentile similarity of 64 random stored vectors. */
  async noiseLevel(): Promise<number> {
    await this.fresh();
    if (this.noise !== undefined) return this.noise;
    const rows = await this.db.query<{ v: string }>('SELECT v::text AS v FROM {s}.vectors ORDER BY random() LIMIT 64');
    const vs = rows.map((r) => Float32Array.from(this.codec.fromSql(r.v)));
    const sims: number[] = [];
    for (let i = 0; i < vs.length; i++) for (let j = i + 1; j < vs.length; j++) sims.push(dot(vs[i], vs[j]));
    sims.sort((a, b) => a - b);
    this.noise = sims.length >= 10 ? sims[Math.floor(sims.length * 0.99)] : 0;
    return this.noise;
  }
}
