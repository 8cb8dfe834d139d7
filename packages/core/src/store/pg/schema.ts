import { LoomError } from '../../errors.js';
import type { PgConnection, Sql } from './connect.js';
import { PGVECTOR_HINT } from './errors.js';
import { LOCK_CLASS, storeLockId } from './lock.js';

export const PG_SCHEMA_VERSION = 1;

/**
 * Migrations from version N-1 to N, each applied in one transaction under the store's migration
 * lock, so two processes opening a new store never both create it. Append; never edit one that
 * shipped. Vector tables are not here: their dimension comes from the embedder (ensureVectors).
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE {s}.settings (key text PRIMARY KEY, value jsonb NOT NULL);
  CREATE TABLE {s}.sources (
    id bigserial PRIMARY KEY,
    path text NOT NULL UNIQUE,   -- the document's key: absolute file path, path#record, or lc:<id>
    file text NOT NULL,          -- the file on disk ('' for LangChain documents)
    name text NOT NULL,          -- what hits show as source: relative to the ingest root
    hash text NOT NULL,
    size bigint NOT NULL DEFAULT 0,
    mtime_ms double precision NOT NULL DEFAULT 0,
    lang text NOT NULL DEFAULT 'other',
    title text,
    meta jsonb NOT NULL DEFAULT '{}',   -- front matter and record fields: provenance of every hit
    tags text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX sources_file ON {s}.sources (file);
  CREATE INDEX sources_hash ON {s}.sources (hash);
  CREATE INDEX sources_tags ON {s}.sources USING gin (tags);
  -- the SQLite store's FTS5 tokenizer is 'porter unicode61': the same Porter stemmer for ASCII
  -- words, no stop words; the text arrives split as unicode61 splits it (lexical.ts: ftsText),
  -- Chinese and Japanese already cut into words by Intl.Segmenter
  CREATE TEXT SEARCH DICTIONARY {s}.loom_stem (TEMPLATE = snowball, Language = porter);
  CREATE TEXT SEARCH CONFIGURATION {s}.loom (COPY = pg_catalog.simple);
  ALTER TEXT SEARCH CONFIGURATION {s}.loom ALTER MAPPING FOR asciiword WITH {s}.loom_stem;
  -- tokens in a tsvector (BM25's document length), as FTS5 counts them
  CREATE FUNCTION {s}.tsv_len(tsvector) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT coalesce(sum(coalesce(array_length(positions, 1), 1)), 0)::integer FROM unnest($1)';
  CREATE TABLE {s}.chunks (
    id bigserial PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    source_id bigint NOT NULL REFERENCES {s}.sources(id) ON DELETE CASCADE,
    ord integer NOT NULL,
    heading text NOT NULL DEFAULT '',   -- heading path joined with ' > '
    text text NOT NULL,
    start integer NOT NULL DEFAULT 0,
    "end" integer NOT NULL DEFAULT 0,
    lang text NOT NULL DEFAULT 'other',
    text_hash text NOT NULL,
    meta jsonb,
    -- title (weight A), heading (B), body (C) of the segmented text the SQLite store indexes
    fts tsvector NOT NULL,
    fts_len integer GENERATED ALWAYS AS ({s}.tsv_len(fts)) STORED
  );
  CREATE INDEX chunks_source ON {s}.chunks (source_id, ord);
  CREATE INDEX chunks_lang ON {s}.chunks (lang);
  CREATE INDEX chunks_text_hash ON {s}.chunks (text_hash);
  CREATE INDEX chunks_fts ON {s}.chunks USING gin (fts);
  -- bumped by every write transaction: readers key their caches (BM25 statistics) on it
  CREATE SEQUENCE {s}.changes;
  `,
];

/** Where the server stands on pgvector: installed (version), installable, or absent. */
async function ensureExtension(db: PgConnection): Promise<string> {
  const have = await db.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'");
  if (have[0]) return have[0].v;
  const available = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  if (available.length === 0) {
    throw new LoomError('STORE_EXTENSION_MISSING', `the PostgreSQL server at ${db.loc.display} has no pgvector extension installed`, { hint: PGVECTOR_HINT });
  }
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (error) {
    throw new LoomError('STORE_EXTENSION_MISSING', `pgvector is installed on ${db.loc.display} but could not be enabled in this database (${(error as Error).message})`, {
      cause: error, hint: 'ask a superuser to run CREATE EXTENSION vector in this database once',
    });
  }
  return (await db.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'"))[0].v;
}

export async function schemaVersion(sql: Sql): Promise<number> {
  const rows = await sql.query<{ v: number }>("SELECT coalesce(max(version), 0) AS v FROM {s}.migrations");
  return rows[0]?.v ?? 0;
}

/**
 * Creates the schema, pgvector and the tables, or brings an older store to PG_SCHEMA_VERSION.
 * Returns pgvector's version. Refuses a store written by a newer promptloom.
 */
export async function migratePg(db: PgConnection, options: { create: boolean }): Promise<{ pgvector: string; created: boolean }> {
  const exists = (await db.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'migrations'", [db.loc.schema])).length > 0;
  if (!exists && !options.create) {
    throw new LoomError('STORE_NOT_FOUND', `no store in schema "${db.loc.schema}" at ${db.loc.display}`, {
      hint: 'run `loom ingest PATH --store URL` first, or add ?schema=NAME for a store kept under another schema',
    });
  }
  const pgvector = await ensureExtension(db);
  const created = await db.tx(async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, storeLockId(db.loc.schema, 'migrate')]);
    await sql.query('CREATE SCHEMA IF NOT EXISTS {s}');
    await sql.query('CREATE TABLE IF NOT EXISTS {s}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const current = await schemaVersion(sql);
    if (current > PG_SCHEMA_VERSION) {
      throw new LoomError('STORE_CORRUPT', `store schema version ${current} at ${db.loc.display} is newer than this promptloom supports (${PG_SCHEMA_VERSION})`, {
        hint: 'upgrade promptloom, or use another ?schema=',
      });
    }
    for (let v = current; v < PG_SCHEMA_VERSION; v++) {
      await sql.query(MIGRATIONS[v]);
      await sql.query('INSERT INTO {s}.migrations(version) VALUES ($1)', [v + 1]);
    }
    return current === 0;
  });
  return { pgvector, created };
}

/** pgvector's HNSW indexes `vector` up to 2,000 dimensions; larger ones are indexed as `halfvec`. */
export function vectorExpr(dims: number): { expr: string; ops: string } {
  return dims <= 2000 ? { expr: 'v', ops: 'vector_ip_ops' } : { expr: `(v::halfvec(${dims}))`, ops: 'halfvec_ip_ops' };
}

/**
 * The vectors table for the embedder's dimension with its HNSW index (inner product: vectors
 * are stored normalised, so it ranks as cosine). Created on the first write, once.
 */
export async function ensureVectors(sql: Sql, dims: number, hnsw: { m: number; efConstruction: number }): Promise<void> {
  const [have] = await sql.query<{ t: string | null }>(
    "SELECT format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = to_regclass('{s}.vectors') AND a.attname = 'v'",
  );
  if (have?.t) {
    if (have.t !== `vector(${dims})`) throw new LoomError('STORE_EMBEDDER_MISMATCH', `the store holds ${have.t} vectors; this embedder makes ${dims} dimensions`, { hint: 'use the embedder the store was built with' });
    return;
  }
  const { expr, ops } = vectorExpr(dims);
  await sql.query(`CREATE TABLE {s}.vectors (
    chunk_id bigint PRIMARY KEY REFERENCES {s}.chunks(id) ON DELETE CASCADE,
    v vector(${dims}) NOT NULL)`);
  await sql.query(`CREATE INDEX vectors_hnsw ON {s}.vectors USING hnsw (${expr} ${ops}) WITH (m = ${hnsw.m}, ef_construction = ${hnsw.efConstruction})`);
}
