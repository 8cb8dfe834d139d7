import type { CheckReport, StoreInfo } from '../types.js';
import type { EmbedderSetting } from '../store.js';
import { PG_SCHEMA_VERSION, schemaVersion } from './schema.js';
import type { PgStore } from './store.js';

async function counts(store: PgStore): Promise<{ sources: number; chunks: number; vectors: number; generation: number }> {
  const [r] = await store.db.query<{ s: string; c: string; v: string; g: string }>(
    `SELECT (SELECT count(*) FROM {s}.sources)::text AS s, (SELECT count(*) FROM {s}.chunks)::text AS c,
       (SELECT count(*) FROM {s}.vectors)::text AS v, (SELECT last_value FROM {s}.changes)::text AS g`,
  );
  return { sources: Number(r.s), chunks: Number(r.c), vectors: Number(r.v), generation: Number(r.g) };
}

/** `store info` for a PostgreSQL store: the SQLite fields hold the tables, `hnsw` the pgvector index. */
export async function pgStoreInfo(store: PgStore): Promise<StoreInfo> {
  const n = await counts(store);
  const langs = await store.db.query<{ lang: string; n: string }>('SELECT lang, count(*)::text AS n FROM {s}.chunks GROUP BY lang ORDER BY count(*) DESC');
  const [bytes] = await store.db.query<{ t: string; i: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relkind = 'r'), 0)::text AS t, coalesce(pg_relation_size(to_regclass('{s}.vectors_hnsw')), 0)::text AS i
     FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1`,
    [store.db.loc.schema],
  );
  return {
    dir: store.dir,
    backend: 'postgres',
    schemaVersion: await schemaVersion(store.db),
    embedder: (await store.backend.getSetting<EmbedderSetting>('embedder')) ?? { id: store.embedder.id, spec: store.embedderSpec, dimensions: store.embedder.dimensions },
    chunker: (await store.backend.getSetting<Record<string, unknown>>('chunker')) ?? {},
    sources: n.sources,
    chunks: n.chunks,
    languages: Object.fromEntries(langs.map((l) => [l.lang, Number(l.n)])),
    hnsw: { file: `pgvector ${store.pgvector} hnsw`, generation: n.generation, storeGeneration: n.generation, elements: n.vectors, deleted: 0, m: store.hnsw.m, efConstruction: store.hnsw.efConstruction, ef: store.hnsw.ef },
    bytes: { sqlite: Number(bytes.t) - Number(bytes.i), hnsw: Number(bytes.i) },
  };
}

/**
 * What must agree in a PostgreSQL store: a vector of the store's dimension for every chunk, no
 * document without chunks, no empty full-text entry for text that has words, the schema current
 * and the HNSW index valid (a failed CREATE INDEX CONCURRENTLY leaves an invalid one).
 */
export async function checkPgStore(store: PgStore): Promise<CheckReport> {
  const problems: string[] = [];
  const n = await counts(store);
  const one = async (sql: string) => Number((await store.db.query<{ n: string }>(sql))[0].n);
  const missing = await one('SELECT count(*)::text AS n FROM {s}.chunks c WHERE NOT EXISTS (SELECT 1 FROM {s}.vectors v WHERE v.chunk_id = c.id)');
  const wrongDims = await one(`SELECT count(*)::text AS n FROM {s}.vectors WHERE vector_dims(v) <> ${store.embedder.dimensions}`);
  const orphans = await one('SELECT count(*)::text AS n FROM {s}.sources s WHERE NOT EXISTS (SELECT 1 FROM {s}.chunks c WHERE c.source_id = s.id)');
  const noFts = await one("SELECT count(*)::text AS n FROM {s}.chunks WHERE fts = ''::tsvector AND text ~ '[[:alnum:]]'");
  const [index] = await store.db.query<{ valid: boolean }>("SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass('{s}.vectors_hnsw')");
  const version = await schemaVersion(store.db);
  if (missing > 0) problems.push(`${missing} chunks have no vector`);
  if (wrongDims > 0) problems.push(`${wrongDims} vectors do not have ${store.embedder.dimensions} dimensions`);
  if (orphans > 0) problems.push(`${orphans} sources without chunks`);
  if (noFts > 0) problems.push(`${noFts} chunks have an empty full-text entry`);
  if (!index) problems.push('the HNSW index vectors_hnsw is missing');
  else if (!index.valid) problems.push('the HNSW index vectors_hnsw is invalid (an interrupted build)');
  if (version !== PG_SCHEMA_VERSION) problems.push(`schema version ${version}, expected ${PG_SCHEMA_VERSION}`);
  return {
    ok: problems.length === 0,
    problems,
    notes: [],
    sqlite: { integrity: 'postgres', sources: n.sources, chunks: n.chunks, vectors: n.vectors, fts: n.chunks - noFts },
    hnsw: { file: index ? 'vectors_hnsw' : null, fileGeneration: n.generation, storeGeneration: n.generation, live: n.vectors, deleted: 0, missing, extra: 0 },
  };
}
