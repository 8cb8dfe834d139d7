import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { LoomError } from '../errors.js';
import { storeError } from './errors.js';
import { applyPragmas, migrate } from './schema.js';
import { toBlob, fromBlob } from './vectors.js';
import { globMatch } from './filter.js';
import type { ChunkRecord, ChunkRow, LogEntry, SourceRecord, SourceRow, SqlFilter } from './backend.js';

const CHUNK_ROW = `c.id, c.uid, c.source_id AS sourceId, s.name AS source, s.title, c.heading, c.text, c.lang, c.ord, c.meta, s.meta AS sourceMeta,
  s.url, s.author, s.origin_updated_at AS updatedAt, s.origin, s.kind
  FROM chunks c JOIN sources s ON s.id = c.source_id`;

function provenance(source: SourceRecord): (string | null)[] {
  const p = source.provenance ?? {};
  return [p.url ?? null, p.author ?? null, p.origin ?? null, p.kind ?? null, p.updatedAt ?? null];
}

/** Rows, settings and the change log in one SQLite file; the source of truth of a store. */
export class SqliteDb {
  readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(readonly file: string, options: { readonly?: boolean } = {}) {
    try {
      this.db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      applyPragmas(this.db, options.readonly ?? false);
      if (!options.readonly) migrate(this.db, file);
    } catch (error) {
      if (error instanceof LoomError) throw error;
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new LoomError('STORE_CORRUPT', `${file} is not a promptloom store database`, { file, cause: error, hint: 'point --store at another directory, or delete this one and ingest again' });
      }
      const mapped = storeError(error, dirname(file));
      if (mapped !== error) throw mapped;
      throw new LoomError('STORE_IO', `cannot open ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    this.db.function('loom_glob', { deterministic: true }, (pattern: unknown, value: unknown) => globMatch(String(pattern), String(value)));
  }

  /** Cached prepared statement. */
  q(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  close(): void {
    this.stmts.clear();
    if (this.db.open) this.db.close();
  }

  // --- settings (JSON values)

  getSetting<T>(key: string): T | undefined {
    const row = this.q('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    this.q('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  deleteSetting(key: string): void {
    this.q('DELETE FROM settings WHERE key = ?').run(key);
  }

  // --- sources

  /** `dir` ends with the path separator; a range scan keeps it on the index */
  sourcesUnder(dir: string): SourceRow[] {
    return this.q('SELECT id, file, path, name, hash FROM sources WHERE file >= ? AND file < ?').all(dir, dir + '\uffff') as SourceRow[];
  }

  /** documents whose key starts with `prefix` (a sync source's documents); a range scan on the unique index */
  sourcesWithKeyPrefix(prefix: string): SourceRow[] {
    return this.q('SELECT id, file, path, name, hash FROM sources WHERE path >= ? AND path < ?').all(prefix, prefix + '\uffff') as SourceRow[];
  }

  sourcesOfFile(file: string): SourceRow[] {
    return this.q('SELECT id, file, path, name, hash FROM sources WHERE file = ?').all(file) as SourceRow[];
  }

  sourcesByHash(hash: string): SourceRow[] {
    return this.q('SELECT id, file, path, name, hash FROM sources WHERE hash = ?').all(hash) as SourceRow[];
  }

  sourcesByOrigin(origin: string): SourceRow[] {
    return this.q('SELECT id, file, path, name, hash, url, origin_updated_at AS updatedAt FROM sources WHERE origin = ?').all(origin) as SourceRow[];
  }

  /** Vectors already stored for these embedding-input hashes: no need to embed them again. */
  vectorsByTextHash(hashes: string[]): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const stmt = this.q('SELECT v.v AS v FROM chunks c JOIN vectors v ON v.chunk_id = c.id WHERE c.text_hash = ? LIMIT 1');
    for (const h of new Set(hashes)) {
      const row = stmt.get(h) as { v: Buffer } | undefined;
      if (row) out.set(h, row.v);
    }
    return out;
  }

  /**
   * Replaces one document's chunks in one transaction. Chunks whose embedding input is unchanged
   * keep their row (and so their HNSW label); the rest are deleted or inserted.
   */
  replaceSource(source: SourceRecord, chunks: ChunkRecord[]): number {
    return this.db.transaction(() => {
      const existing = this.q('SELECT id FROM sources WHERE path = ?').get(source.path) as { id: number } | undefined;
      const meta = JSON.stringify(source.meta ?? {});
      let sourceId: number;
      if (existing) {
        sourceId = existing.id;
        this.q('UPDATE sources SET file=?, name=?, hash=?, size=?, mtime_ms=?, lang=?, title=?, meta=?, updated_at=?, url=?, author=?, origin=?, kind=?, origin_updated_at=? WHERE id=?')
          .run(source.file, source.name, source.hash, source.size, source.mtimeMs, source.lang, source.title ?? null, meta, Date.now(), ...provenance(source), sourceId);
        this.q('DELETE FROM source_tags WHERE source_id = ?').run(sourceId);
      } else {
        sourceId = Number(this.q('INSERT INTO sources(file, path, name, hash, size, mtime_ms, lang, title, meta, updated_at, url, author, origin, kind, origin_updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)')
          .run(source.file, source.path, source.name, source.hash, source.size, source.mtimeMs, source.lang, source.title ?? null, meta, Date.now(), ...provenance(source)).lastInsertRowid);
      }
      for (const tag of new Set(source.tags)) this.q('INSERT OR IGNORE INTO source_tags(source_id, tag) VALUES (?, ?)').run(sourceId, tag);
      this.writeChunks(sourceId, chunks);
      return sourceId;
    })();
  }

  private writeChunks(sourceId: number, chunks: ChunkRecord[]): void {
    const old = this.q('SELECT id, text_hash AS h, uid FROM chunks WHERE source_id = ?').all(sourceId) as { id: number; h: string; uid: string }[];
    const keep = new Map<string, number[]>();
    for (const o of old) keep.set(o.h, [...(keep.get(o.h) ?? []), o.id]);
    const reused = new Set<number>();
    const pending: ChunkRecord[] = [];
    for (const c of chunks) {
      const id = keep.get(c.textHash)?.shift();
      if (id === undefined) { pending.push(c); continue; }
      reused.add(id);
      // a temporary uid first: uids may swap between kept rows
      this.q('UPDATE chunks SET uid = ?, ord=?, heading=?, text=?, start=?, end=?, lang=?, meta=? WHERE id=?')
        .run(`~${id}`, c.ord, c.heading, c.text, c.start, c.end, c.lang, c.meta ? JSON.stringify(c.meta) : null, id);
      this.q('DELETE FROM chunks_fts WHERE rowid = ?').run(id);
      this.q('INSERT INTO chunks_fts(rowid, title, heading, body) VALUES (?,?,?,?)').run(id, c.fts.title, c.fts.heading, c.fts.body);
      (c as ChunkRecord & { _id?: number })._id = id;
    }
    for (const o of old) if (!reused.has(o.id)) this.q('DELETE FROM chunks WHERE id = ?').run(o.id);
    for (const c of chunks) {
      const id = (c as ChunkRecord & { _id?: number })._id;
      if (id === undefined) continue;
      this.q('DELETE FROM chunks WHERE uid = ? AND id != ?').run(c.uid, id);
      this.q('UPDATE chunks SET uid = ? WHERE id = ?').run(c.uid, id);
      delete (c as { _id?: number })._id;
    }
    for (const c of pending) this.insertChunk(sourceId, c);
  }

  private insertChunk(sourceId: number, c: ChunkRecord): void {
    if (!c.vector) throw new LoomError('INTERNAL', `chunk ${c.uid} has no vector`);
    // an id reused by another document (LangChain upsert) moves to this one
    this.q('DELETE FROM chunks WHERE uid = ?').run(c.uid);
    const id = Number(this.q('INSERT INTO chunks(uid, source_id, ord, heading, text, start, end, lang, text_hash, meta) VALUES (?,?,?,?,?,?,?,?,?,?)')
      .run(c.uid, sourceId, c.ord, c.heading, c.text, c.start, c.end, c.lang, c.textHash, c.meta ? JSON.stringify(c.meta) : null).lastInsertRowid);
    const blob = c.vector instanceof Float32Array ? toBlob(c.vector) : c.vector;
    this.q('INSERT INTO vectors(chunk_id, v) VALUES (?, ?)').run(id, blob);
    this.q('INSERT INTO chunks_fts(rowid, title, heading, body) VALUES (?,?,?,?)').run(id, c.fts.title, c.fts.heading, c.fts.body);
  }

  /** A rename: same content under a new path keeps its chunks and vectors. */
  moveSource(id: number, to: { file: string; path: string; name: string; mtimeMs: number }, uids: Map<number, string>): void {
    this.db.transaction(() => {
      this.q('UPDATE sources SET file=?, path=?, name=?, mtime_ms=?, updated_at=? WHERE id=?').run(to.file, to.path, to.name, to.mtimeMs, Date.now(), id);
      for (const [chunkId] of uids) this.q('UPDATE chunks SET uid = ? WHERE id = ?').run(`~${chunkId}`, chunkId);
      for (const [chunkId, uid] of uids) {
        this.q('DELETE FROM chunks WHERE uid = ?').run(uid);
        this.q('UPDATE chunks SET uid = ? WHERE id = ?').run(uid, chunkId);
      }
    })();
  }

  chunksOfSource(sourceId: number): { id: number; ord: number; textHash: string }[] {
    return this.q('SELECT id, ord, text_hash AS textHash FROM chunks WHERE source_id = ? ORDER BY ord').all(sourceId) as { id: number; ord: number; textHash: string }[];
  }

  deleteSources(ids: number[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.q('DELETE FROM sources WHERE id = ?').run(id);
    })();
  }

  /** Deletes chunks by uid (LangChain ids), and documents left without chunks. */
  deleteChunksByUid(uids: string[]): number {
    return this.db.transaction(() => {
      let n = 0;
      for (const uid of uids) {
        const row = this.q('SELECT id, source_id AS s FROM chunks WHERE uid = ?').get(uid) as { id: number; s: number } | undefined;
        if (!row) continue;
        this.q('DELETE FROM chunks WHERE id = ?').run(row.id);
        if (!this.q('SELECT 1 FROM chunks WHERE source_id = ? LIMIT 1').get(row.s)) this.q('DELETE FROM sources WHERE id = ?').run(row.s);
        n++;
      }
      return n;
    })();
  }

  // --- reads for search

  getChunks(ids: number[]): ChunkRow[] {
    if (ids.length === 0) return [];
    return this.q(`SELECT ${CHUNK_ROW} WHERE c.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as ChunkRow[];
  }

  scanChunks(afterId: number, limit: number, filter?: SqlFilter): ChunkRow[] {
    const sql = `SELECT ${CHUNK_ROW} WHERE c.id > ?${filter ? ` AND ${filter.where}` : ''} ORDER BY c.id LIMIT ?`;
    return (filter ? this.db.prepare(sql) : this.q(sql)).all(afterId, ...(filter?.params ?? []), limit) as ChunkRow[];
  }

  vectors(ids: number[]): Map<number, Float32Array> {
    const out = new Map<number, Float32Array>();
    if (ids.length === 0) return out;
    const rows = this.q('SELECT chunk_id, v FROM vectors WHERE chunk_id IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(ids)) as [number, Buffer][];
    for (const [id, v] of rows) out.set(id, fromBlob(v));
    return out;
  }

  vector(id: number): Float32Array | undefined {
    const row = this.q('SELECT v FROM vectors WHERE chunk_id = ?').get(id) as { v: Buffer } | undefined;
    return row ? fromBlob(row.v) : undefined;
  }

  /**
   * Ids and vectors (packed row after row) of the chunks matching a filter, or null when more
   * than `limit` match. One joined query: per-row statements cost more than the blobs.
   */
  filteredVectors(filter: SqlFilter, limit: number, dims: number): { ids: number[]; matrix: Float32Array } | null {
    const n = this.db.prepare(`SELECT count(*) FROM (SELECT 1 FROM chunks c WHERE ${filter.where} LIMIT ?)`).pluck().get(...filter.params, limit + 1) as number;
    if (n > limit) return null;
    const rows = this.db.prepare(`SELECT c.id AS id, v.v AS v FROM chunks c JOIN vectors v ON v.chunk_id = c.id WHERE ${filter.where}`).raw().all(...filter.params) as [number, Buffer][];
    const ids: number[] = [];
    const matrix = new Float32Array(rows.length * dims);
    for (const [id, blob] of rows) {
      if (blob.byteLength !== dims * 4) continue; // an interrupted re-embed's old vector
      matrix.set(fromBlob(blob), ids.length * dims);
      ids.push(id);
    }
    return { ids, matrix: matrix.subarray(0, ids.length * dims) };
  }

  countMatching(filter: SqlFilter): number {
    return this.db.prepare(`SELECT count(*) FROM chunks c WHERE ${filter.where}`).pluck().get(...filter.params) as number;
  }

  /** Which of these chunk ids pass the filter. */
  passing(ids: number[], filter: SqlFilter): Set<number> {
    const rows = this.db.prepare(`SELECT c.id FROM chunks c WHERE c.id IN (SELECT value FROM json_each(?)) AND ${filter.where}`).pluck().all(JSON.stringify(ids), ...filter.params) as number[];
    return new Set(rows);
  }

  matchingIds(filter: SqlFilter): Set<number> {
    return new Set(this.db.prepare(`SELECT c.id FROM chunks c WHERE ${filter.where}`).pluck().all(...filter.params) as number[]);
  }

  /** FTS5 BM25 with column weights; `match` is an already quoted FTS5 query. Higher score is better. */
  lexical(match: string, k: number, weights: [number, number, number], filter?: SqlFilter): { id: number; score: number }[] {
    const where = filter ? ` AND ${filter.where}` : '';
    const sql = filter
      ? `SELECT f.rowid AS id, bm25(chunks_fts, ?, ?, ?) AS s FROM chunks_fts f JOIN chunks c ON c.id = f.rowid WHERE chunks_fts MATCH ?${where} ORDER BY s LIMIT ?`
      : 'SELECT rowid AS id, bm25(chunks_fts, ?, ?, ?) AS s FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?';
    const params = filter ? [...weights, match, ...filter.params, k] : [...weights, match, k];
    const rows = (filter ? this.db.prepare(sql) : this.q(sql)).all(...params) as { id: number; s: number }[];
    return rows.map((r) => ({ id: r.id, score: -r.s }));
  }

  // --- the change log the HNSW file catches up from

  generation(): number {
    const row = this.q("SELECT seq FROM sqlite_sequence WHERE name = 'hnsw_log'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  logSince(gen: number): LogEntry[] {
    return this.q('SELECT seq, label, op FROM hnsw_log WHERE seq > ? ORDER BY seq').all(gen) as LogEntry[];
  }

  truncateLog(upTo: number): void {
    this.q('DELETE FROM hnsw_log WHERE seq <= ?').run(upTo);
    const floor = this.getSetting<number>('log_floor') ?? 0;
    if (upTo > floor) this.setSetting('log_floor', upTo);
  }

  *iterateVectors(): Generator<{ id: number; v: Float32Array }> {
    for (const row of this.db.prepare('SELECT chunk_id AS id, v FROM vectors ORDER BY chunk_id').iterate() as Iterable<{ id: number; v: Buffer }>) {
      yield { id: row.id, v: fromBlob(row.v) };
    }
  }

  count(table: 'sources' | 'chunks' | 'vectors'): number {
    return this.q(`SELECT count(*) AS n FROM ${table}`).pluck().get() as number;
  }
}
