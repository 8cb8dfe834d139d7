import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckReport, StoreInfo } from './types.js';
import type { LoomStore, EmbedderSetting } from './store.js';
import { fingerprint, minIndexBytes, type IndexFileRecord } from './hnsw.js';
import { SCHEMA_VERSION } from './schema.js';
import { withStoreErrors } from './errors.js';

function fileSize(file: string): number {
  try { return statSync(file).size; } catch { return 0; }
}

export function storeInfo(store: LoomStore): StoreInfo {
  const { db, index } = store;
  index.sync();
  const rec = db.getSetting<IndexFileRecord>('hnsw_file');
  const emb = db.getSetting<EmbedderSetting>('embedder') ?? { id: store.embedder.id, spec: store.embedderSpec, dimensions: store.embedder.dimensions };
  const langs = db.db.prepare('SELECT lang, count(*) AS n FROM chunks GROUP BY lang ORDER BY n DESC').all() as { lang: string; n: number }[];
  const chunks = db.count('chunks');
  const dbFile = db.file;
  return {
    dir: store.dir,
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
      hnsw: rec ? fileSize(join(store.dir, rec.name)) : 0,
    },
  };
}

const SAMPLE = 1000;

/**
 * SQLite integrity, row counts that must agree (chunks, vectors, FTS rows), the index file's
 * record against the file, and the in-memory index against SQLite label by label: every vector
 * present, no live label without a vector, a sample of stored vectors equal.
 */
export function checkStore(store: LoomStore): CheckReport {
  return withStoreErrors(store.dir, () => checkNow(store));
}

function checkNow(store: LoomStore): CheckReport {
  const { db, index } = store;
  const problems: string[] = [];
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
    const file = join(store.dir, rec.name);
    if (!existsSync(file)) problems.push(`index file ${rec.name} is missing`);
    else if (fileSize(file) !== rec.size || fingerprint(file) !== rec.fingerprint) problems.push(`index file ${rec.name} does not match its record (size or fingerprint)`);
    else if (rec.size < minIndexBytes(rec.elements, rec.dims, index.params.m)) problems.push(`index file ${rec.name} is truncated (${rec.size} bytes for ${rec.elements} vectors)`);
  } else if (vectors > 0) {
    problems.push('no index file has been written yet');
  }
  const floor = db.getSetting<number>('log_floor') ?? 0;
  if (rec && rec.generation < floor) problems.push(`index file generation ${rec.generation} is older than the change log kept (${floor})`);
  if (rec && rec.generation > db.generation()) problems.push(`index file generation ${rec.generation} is newer than the store (${db.generation()})`);

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
  problems.push(...sampleVectors(store, [...ids]));
  return {
    ok: problems.length === 0,
    problems,
    sqlite: { integrity, sources, chunks, vectors, fts },
    hnsw: { file: rec?.name ?? null, fileGeneration, storeGeneration: db.generation(), live: labels.length - extra, deleted: extra, missing, extra: liveExtra },
  };
}

function sampleVectors(store: LoomStore, ids: number[]): string[] {
  const step = Math.max(1, Math.floor(ids.length / SAMPLE));
  let bad = 0;
  for (let i = 0; i < ids.length; i += step) {
    const stored = store.db.vector(ids[i]);
    const p = store.index.point(ids[i]);
    if (!stored || !p) continue;
    for (let j = 0; j < stored.length; j++) {
      if (Math.abs(stored[j] - p[j]) > 1e-5) { bad++; break; }
    }
  }
  return bad > 0 ? [`${bad} sampled index vectors differ from SQLite`] : [];
}
