/** One retrieval hit, as `loom search --json`, the `retrieve` step and the `answer` step see it. */
export interface Hit {
  /** chunk id, stable across re-ingests of an unchanged file */
  id: string;
  /** path relative to the ingest root, with forward slashes */
  source: string;
  /** heading path joined with ' > ' */
  heading: string;
  lang: string;
  score: number;
  text: string;
  title?: string;
  /** the document's address at its origin, when it was written with provenance (`loom sync`) */
  url?: string;
  /** when the document last changed at its origin, ISO 8601 (`loom sync`) */
  updated_at?: string;
  metadata?: Record<string, unknown>;
}

/** Output of the `retrieve` step. `text` numbers the hits [1], [2], … for prompts. */
export interface RetrieveOutput {
  hits: Hit[];
  text: string;
}

// --- added by the store (issue 4); all additive

export type SearchMode = 'hybrid' | 'vector' | 'lexical';

export interface SearchOptions {
  /** number of hits, default 10 */
  k?: number;
  mode?: SearchMode;
  /** only chunks in this language (comma-separated list allowed), same as filter {lang} */
  lang?: string;
  /** `source` (glob over the source path), `tag` (front-matter tags), `lang`, or any other front-matter key */
  filter?: Record<string, string>;
  /** diversify the hits (maximal marginal relevance) */
  mmr?: boolean;
  /** at most this many chunks per source in the results (default 3; 0 = no limit) */
  perSource?: number;
  /** drop hits scoring below this (after fusion for hybrid) */
  minScore?: number;
  signal?: AbortSignal;
}

export interface StoreInfo {
  /** the store folder, or a PostgreSQL store's URL (password redacted) */
  dir: string;
  /** 'postgres' for a PostgreSQL store (whose `bytes.sqlite` are its tables, `hnsw` its pgvector index) */
  backend?: 'sqlite' | 'postgres';
  schemaVersion: number;
  embedder: { id: string; spec: string; dimensions: number };
  chunker: Record<string, unknown>;
  sources: number;
  chunks: number;
  languages: Record<string, number>;
  hnsw: {
    file: string | null;
    /** generation of the change log the index reflects, and the store's */
    generation: number;
    storeGeneration: number;
    elements: number;
    deleted: number;
    m: number;
    efConstruction: number;
    ef: number;
  };
  bytes: { sqlite: number; hnsw: number };
}

export interface CheckReport {
  /** false only for real damage (`problems`); derived state that is merely behind is a note */
  ok: boolean;
  problems: string[];
  /** what is not damage but worth saying (an index that is behind and will catch up) */
  notes: string[];
  sqlite: { integrity: string; sources: number; chunks: number; vectors: number; fts: number };
  hnsw: { file: string | null; fileGeneration: number; storeGeneration: number; live: number; deleted: number; missing: number; extra: number };
}

export interface OpenStoreOptions {
  /** embedder spec ('local', 'local:768', 'openai:MODEL', …); default: the one the store remembers, else 'local' */
  embedder?: string;
  /** create the store when missing (ingest does; search does not) */
  create?: boolean;
  /** accept a different embedder and re-embed everything on the next ingest */
  reembed?: boolean;
  /** never write (no lock, no index file); an index that needs rebuilding is rebuilt in memory */
  readonly?: boolean;
  env?: Record<string, string | undefined>;
  /** progress of an index rebuild on open */
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

/** A store of chunked documents with vector, lexical and hybrid search. */
export interface DocumentStore {
  readonly dir: string;
  readonly embedderId: string;
  search(query: string, options?: SearchOptions): Promise<Hit[]>;
  info(): Promise<StoreInfo>;
  /** `repair`: catch an index that is behind up first (takes the writer lock) */
  check(options?: { repair?: boolean }): Promise<CheckReport>;
  close(): void;
}
