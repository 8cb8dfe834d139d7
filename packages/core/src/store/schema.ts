import type Database from 'better-sqlite3';
import { LoomError } from '../errors.js';

export const SCHEMA_VERSION = 2;

/**
 * Migrations from version N-1 to N, applied in order inside one transaction each.
 * Version 1 is the initial schema. A later version appends a function here.
 */
const MIGRATIONS: ((db: Database.Database) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,   -- the document's key: absolute file path, path#record (JSON/JSONL), or lc:<id>
        file TEXT NOT NULL,          -- absolute path of the file on disk ('' for LangChain documents)
        name TEXT NOT NULL,          -- what hits show as \`source\`: relative to the ingest root, forward slashes
        hash TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        mtime_ms INTEGER NOT NULL DEFAULT 0,
        lang TEXT NOT NULL DEFAULT 'other',
        title TEXT,
        meta TEXT NOT NULL DEFAULT '{}',
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX sources_file ON sources(file);
      CREATE INDEX sources_hash ON sources(hash);
      CREATE INDEX sources_name ON sources(name);
      CREATE TABLE source_tags (
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (tag, source_id)
      ) WITHOUT ROWID;
      CREATE INDEX source_tags_source ON source_tags(source_id);
      -- AUTOINCREMENT: chunk ids are HNSW labels, so a deleted id must never come back
      CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        heading TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        start INTEGER NOT NULL DEFAULT 0,
        end INTEGER NOT NULL DEFAULT 0,
        lang TEXT NOT NULL DEFAULT 'other',
        text_hash TEXT NOT NULL,
        meta TEXT
      );
      CREATE INDEX chunks_source ON chunks(source_id, ord);
      CREATE INDEX chunks_lang ON chunks(lang);
      CREATE INDEX chunks_text_hash ON chunks(text_hash);
      CREATE TABLE vectors (
        chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
        v BLOB NOT NULL
      );
      -- contentless: the segmented text lives only in the index; chunks.text is the original
      CREATE VIRTUAL TABLE chunks_fts USING fts5(
        title, heading, body,
        content='', contentless_delete=1,
        tokenize='porter unicode61 remove_diacritics 2'
      );
      -- every vector change, in order: the HNSW file records the last seq it contains and
      -- replays the rest on open, so a crash or a concurrent writer never leaves it silently stale
      CREATE TABLE hnsw_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        label INTEGER NOT NULL,
        op INTEGER NOT NULL -- 1 insert, 2 update, 0 delete
      );
      CREATE TRIGGER vectors_ai AFTER INSERT ON vectors BEGIN
        INSERT INTO hnsw_log(label, op) VALUES (new.chunk_id, 1);
      END;
      CREATE TRIGGER vectors_au AFTER UPDATE ON vectors BEGIN
        INSERT INTO hnsw_log(label, op) VALUES (new.chunk_id, 2);
      END;
      CREATE TRIGGER vectors_ad AFTER DELETE ON vectors BEGIN
        INSERT INTO hnsw_log(label, op) VALUES (old.chunk_id, 0);
      END;
      CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        DELETE FROM chunks_fts WHERE rowid = old.id;
      END;
    `);
  },
  // 2: provenance of documents that came from somewhere other than a local file (`loom sync`)
  (db) => {
    db.exec(`
      ALTER TABLE sources ADD COLUMN url TEXT;
      ALTER TABLE sources ADD COLUMN author TEXT;
      ALTER TABLE sources ADD COLUMN origin TEXT;          -- the sync source's name
      ALTER TABLE sources ADD COLUMN kind TEXT;            -- 'web', 'github-issue', …
      ALTER TABLE sources ADD COLUMN origin_updated_at TEXT; -- ISO 8601, as the origin reports it
      CREATE INDEX sources_origin ON sources(origin) WHERE origin IS NOT NULL;
    `);
  },
];

export function applyPragmas(db: Database.Database, readonly: boolean): void {
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // bounded page cache (negative = KiB) so a million-chunk store stays well under the RSS goal
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  // reads through a memory map skip a syscall per page: a selective filter's first exact scan
  // reads its vectors about twice as fast; bounded so a big store's RSS stays predictable
  db.pragma('mmap_size = 134217728');
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema to SCHEMA_VERSION; refuses a store written by a newer promptloom. */
export function migrate(db: Database.Database, file: string): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new LoomError('STORE_CORRUPT', `store schema version ${current} is newer than this promptloom supports (${SCHEMA_VERSION})`, {
      file,
      hint: 'upgrade promptloom, or ingest into a new store directory',
    });
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      MIGRATIONS[v](db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
