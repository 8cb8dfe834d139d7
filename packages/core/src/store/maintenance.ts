import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckReport, StoreInfo } from './types.js';
import type { EmbedderSetting } from './store.js';
import type { Progress } from './backend.js';
import type { SqliteDb } from './sqlite.js';
import type { SqliteHnswBackend } from './local.js';
import { fingerprint, minIndexBytes, type VectorIndex, type IndexFileRecord } from './hnsw.js';
import { ftsFields } from './records.js';
import { toBlob } from './vectors.js';
import { withStoreErrors } from './errors.js';

/** SQLite-side maintenance of a store: info, check, compact, re-embed writes. */

function fileSize(file: string): number {
  try { return statSync(file).size; } catch { return 0; }
}

export function storeInfo(db: SqliteDb, index: VectorIndex, dir: string): StoreInfo {
  return withStoreErrors(dir, () => infoNow(db, index, dir));
}

function infoNow(db: SqliteDb, index: VectorIndex, dir: string): StoreInfo {
  index.sync();
  const rec = db.getSetting<IndexFileRecord>('hnsw_file');
  // a store never written to has no embedder yet: the caller fills in the one it opened with
  const emb = db.getSetting<EmbedderSetting>('embedder') ?? { id: '', spec: '', dimensions: index.dims };
  const langs = db.db.prepare('SELECT lang, count(*) AS n FROM chunks GROUP BY lang ORDER BY n DESC').all() as { lang: string; n: number }[];
  const chunks = db.count('chunks');
  const dbFile = db.file;
  return {
    dir,
    schemaVersion: db.db.pragma('user_version', { simple: true }) as number,
    embedder: emb,
    chunker: db.getSetting<Record<string, unknown>>('chunker') ?? {},
    sources: db.count('sources'),
    chunks,
    languages: Object.fromEntries(langs.map((l) => [l.lang, l.n])),
    hnsw: {
      file: rec?.name ?? null,
      generation: index.generation,
      storeGeneration: db.generation(),
      elements: index.elements,
      deleted: Math.max(0, index.elements - chunks),
      m: index.params.m,
      efConstruction: index.params.efConstruction,
      ef: index.params.ef,
    },
    bytes: {
      sqlite: fileSize(dbFile) + fileSize(`${dbFile}-wal`),
      hnsw: rec ? fileSize(join(dir, rec.name)) : 0,
    },
  };
}

const SAMPLE = 1000;

/**
 * SQLite integrity, row counts that must agree (chunks, vectors, FTS rows), the index file's
 * record against the file, and the in-memory index against SQLite label by label: every vector
 * present, no live label without a vector, a sample of stored vectors equal.
 */
export function checkStore(backend: SqliteHnswBackend, options: { repair?: boolean } = {}): CheckReport {
  return withStoreErrors(backend.location, () => checkNow(backend, options));
}

function checkNow(backend: SqliteHnswBackend, _options: { repair?: boolean }): CheckReport {
  const { db, index } = backend;
  const dir = backend.location;
  const problems: string[] = [];
  const notes: string[] = [];
  const integrity = String(db.db.pragma('quick_check', { simple: true }));
  if (integrity !== 'ok') problems.push(`sqlite quick_check: ${integrity}`);
  const sources = db.count('sources');
  const chunks = db.count('chunks');
  const vectors = db.count('vectors');
  const fts = db.db.prepare('SELECT count(*) FROM chunks_fts').pluck().get() as number;
  if (vectors !== chunks) problems.push(`${chunks} chunks but ${vectors} vectors`);
  if (fts !== chunks) problems.push(`${chunks} chunks but ${fts} full-text rows`);
  const orphans = db.db.prepare('SELECT count(*) FROM sources s WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.source_id = s.id)').pluck().get() as number;
  if (orphans > 0) problems.push(`${orphans} sources without chunks`);

  const rec = db.getSetting<IndexFileRecord>('hnsw_file');
  const fileGeneration = rec?.generation ?? 0;
  if (rec) {
    const file = join(dir, rec.name);
    if (!existsSync(file)) problems.push(`index file ${rec.name} is missing`);
    else if (fileSize(file) !== rec.size || fingerprint(file) !== rec.fingerprint) problems.push(`index file ${rec.name} does not match its record (size or fingerprint)`);
    else if (rec.size < minIndexBytes(rec.elements, rec.dims, index.params.m)) problems.push(`index file ${rec.name} is truncated (${rec.size} bytes for ${rec.elements} vectors)`);
  }
  const floor = db.getSetting<number>('log_floor') ?? 0;
  if (rec && rec.generation < floor) problems.push(`index file generation ${rec.generation} is older than the change log kept (${floor})`);
  if (rec && rec.generation > db.generation()) problems.push(`index file generation ${rec.generation} is newer than the store (${db.generation()})`);
  const behind = indexBehind(db, rec, floor, vectors);
  if (behind > 0) {
    // not damage: the change log holds what the file lacks, and every open replays it
    notes.push(`the index file is behind the store: ${behind} vectors are not in it yet; the next writer catches it up (or run \`loom store check --repair\` now)`);
  }

  index.sync();
  const ids = new Set(db.db.prepare('SELECT chunk_id FROM vectors').pluck().all() as number[]);
  const labels = index.labels();
  const inIndex = new Set(labels);
  let missing = 0;
  for (const id of ids) if (!inIndex.has(id)) missing++;
  let extra = 0;
  let liveExtra = 0;
  for (const label of labels) {
    if (ids.has(label)) continue;
    extra++;
    if (extra <= 10000 && index.point(label) !== undefined) liveExtra++;
  }
  if (missing > 0) problems.push(`${missing} vectors are not in the index`);
  if (liveExtra > 0) problems.push(`${liveExtra} index entries have no vector in SQLite and are not marked deleted`);
  problems.push(...sampleVectors(db, index, [...ids]));
  return {
    ok: problems.length === 0,
    problems,
    notes,
    sqlite: { integrity, sources, chunks, vectors, fts },
    hnsw: { file: rec?.name ?? null, fileGeneration, storeGeneration: db.generation(), live: labels.length - extra, deleted: extra, missing, extra: liveExtra },
  };
}

/** How many vectors the index file lacks that the change log (or, with no file yet, SQLite) holds. */
function indexBehind(db: SqliteDb, rec: IndexFileRecord | undefined, floor: number, vectors: number): number {
  if (!rec) return vectors;
  if (rec.generation < floor || rec.generation >= db.generation()) return 0;
  return db.db.prepare('SELECT count(DISTINCT label) FROM hnsw_log WHERE seq > ?').pluck().get(rec.generation) as number;
}

function sampleVectors(db: SqliteDb, index: VectorIndex, ids: number[]): string[] {
  const step = Math.max(1, Math.floor(ids.length / SAMPLE));
  let bad = 0;
  for (let i = 0; i < ids.length; i += step) {
    const stored = db.vector(ids[i]);
    const p = index.point(ids[i]);
    if (!stored || !p) continue;
    for (let j = 0; j < stored.length; j++) {
      if (Math.abs(stored[j] - p[j]) > 1e-5) { bad++; break; }
    }
  }
  return bad > 0 ? [`${bad} sampled index vectors differ from SQLite`] : [];
}

/** Rewrites the index without deleted entries, rebuilds the full-text index, vacuums SQLite. */
export function compactStore(backend: SqliteHnswBackend, onProgress?: Progress): { before: number; after: number } {
  const { db, index } = backend;
  const bytes = () => { const b = storeInfo(db, index, backend.location).bytes; return b.sqlite + b.hnsw; };
  const before = bytes();
  index.rebuild(onProgress);
  rebuildFullText(db, onProgress);
  db.db.exec('VACUUM');
  db.db.pragma('wal_checkpoint(TRUNCATE)');
  index.save();
  return { before, after: bytes() };
}

/**
 * A contentless FTS5 table keeps deleted rows in its BM25 statistics for good ('optimize' does
 * not drop them), so an often-edited store ranks differently from a fresh one. Emptying it with
 * 'delete-all' and indexing every chunk again resets them to what a fresh ingest gives.
 */
function rebuildFullText(db: SqliteDb, onProgress?: Progress): void {
  const total = db.count('chunks');
  // in batches by id: one connection cannot read a statement and write while it iterates
  const batch = db.db.prepare('SELECT c.id, c.heading, c.text, s.title FROM chunks c JOIN sources s ON s.id = c.source_id WHERE c.id > ? ORDER BY c.id LIMIT 1000');
  const insert = db.db.prepare('INSERT INTO chunks_fts(rowid, title, heading, body) VALUES (?,?,?,?)');
  db.db.transaction(() => {
    db.db.exec("INSERT INTO chunks_fts(chunks_fts) VALUES ('delete-all')");
    let done = 0;
    for (let after = 0; ;) {
      const rows = batch.all(after) as { id: number; heading: string; text: string; title: string | null }[];
      if (rows.length === 0) break;
      for (const r of rows) {
        const f = ftsFields(r.title, r.heading, r.text);
        insert.run(r.id, f.title, f.heading, f.body);
      }
      after = rows[rows.length - 1].id;
      done += rows.length;
      onProgress?.({ phase: 'full-text', done, total });
    }
  })();
}

/** New vectors for existing chunks and the settings that record the progress, in one transaction. */
export function replaceVectors(db: SqliteDb, vectors: Map<number, Float32Array>, settings: Record<string, unknown> = {}): void {
  const update = db.q('UPDATE vectors SET v = ? WHERE chunk_id = ?');
  db.db.transaction(() => {
    for (const [id, v] of vectors) update.run(toBlob(v), id);
    for (const [key, value] of Object.entries(settings)) db.setSetting(key, value);
  })();
}
