import { chunkMarkdown, DEFAULT_MAX_CHARS, DEFAULT_OVERLAP_CHARS, type ChunkOptions } from '../text/chunk.js';
import type { LoomStore } from '../store/store.js';
import type { SourceRow } from '../store/backend.js';
import { HEADING_SEPARATOR, inputHash } from '../store/records.js';
import type { ChunkRecord } from '../store/backend.js';
import { chunkRecords, writeDocuments, type PendingDocument } from '../ingest/documents.js';
import type { SourceSpec } from './schema.js';

/** What a document is, for ranking and for the reader: the page of a docs site, a forum thread, … */
export type DocumentKind = 'doc' | 'forum' | 'discussion' | 'issue';

/** One document a source produced, with where it came from. */
export interface SyncDocument {
  /** stable within the source: a URL, a topic id, an issue number, a file path */
  id: string;
  url: string;
  title?: string;
  markdown: string;
  author?: string;
  /** ISO 8601 */
  updatedAt?: string;
  kind: DocumentKind;
  /** a section heading (as written after `## `) -> the URL of that part, e.g. a forum post's anchor */
  anchors?: Record<string, string>;
}

export interface SourceCounts {
  /** documents and pages downloaded (200 answers) */
  fetched: number;
  /** conditional GETs answered 304, and list entries older than the cursor */
  notModified: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: number;
  errors: number;
  /** chunks embedded (the rest reused a stored vector of identical text) */
  embedded: number;
  requests: number;
}

export const emptyCounts = (): SourceCounts => ({ fetched: 0, notModified: 0, added: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0, errors: 0, embedded: 0, requests: 0 });

const BATCH_CHUNKS = 256;
/** bump when conversion or chunking of synced documents changes */
const SYNC_READER_VERSION = 1;

/**
 * Where a source's documents go: the one adapter between `loom sync` and the store. Documents
 * are keyed `sync:<source>:<id>`, so a source's documents can be listed and removed on their own;
 * unchanged content (same hash) costs nothing, and text already stored is never embedded again.
 * The source's state (cursors, ETags) is committed only after the documents it describes, so a
 * sync killed at any point resumes without skipping a page and without duplicating one.
 */
export class SourceSink {
  readonly prefix: string;
  private pending: (PendingDocument & { kind: 'added' | 'updated' })[] = [];
  private pendingChunks = 0;
  private chunker: ChunkOptions;
  /** the promise, not the map: concurrent first callers share one query instead of one each */
  private stored?: Promise<Map<string, SourceRow>>;
  private stateDirty = false;
  private state: Record<string, unknown>;

  constructor(private readonly store: LoomStore, private readonly source: SourceSpec, readonly counts: SourceCounts, private readonly signal?: AbortSignal) {
    this.prefix = `sync:${source.name}:`;
    this.chunker = { maxChars: DEFAULT_MAX_CHARS, overlapChars: DEFAULT_OVERLAP_CHARS };
    this.state = {};
  }

  /** Reads the store's chunker and the source's persisted state; call once before the kind runs. */
  async open(): Promise<void> {
    const stored = await this.store.backend.getSetting<{ maxChars: number; overlapChars: number }>('chunker');
    this.chunker = { maxChars: stored?.maxChars ?? DEFAULT_MAX_CHARS, overlapChars: stored?.overlapChars ?? DEFAULT_OVERLAP_CHARS };
    this.state = (await this.store.backend.getSetting<Record<string, unknown>>(this.stateKey)) ?? {};
  }

  private get stateKey(): string {
    return `sync.state.${this.source.name}`;
  }

  /** The source's persisted state (cursors, validators), as committed by the last flush. */
  getState<T>(key: string): T | undefined {
    return this.state[key] as T | undefined;
  }

  /** Changes the state; it is written with the next flush, after the documents before it. */
  setState(key: string, value: unknown): void {
    this.state[key] = value;
    this.stateDirty = true;
  }

  /** Ids of the documents this source has in the store. */
  async storedIds(): Promise<string[]> {
    return [...(await this.rows()).keys()];
  }

  async has(id: string): Promise<boolean> {
    return (await this.rows()).has(id);
  }

  private async rows(): Promise<Map<string, SourceRow>> {
    this.stored ??= Promise.resolve(this.store.backend.sourcesWithKeyPrefix(this.prefix)).then((rows) => new Map(rows.map((r) => [r.path.slice(this.prefix.length), r])));
    return this.stored;
  }

  private queue: Promise<void> = Promise.resolve();

  /** Stores a document (one at a time: pages fetched concurrently arrive in any order). */
  put(doc: SyncDocument): Promise<void> {
    const next = this.queue.then(() => this.putNow(doc));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async putNow(doc: SyncDocument): Promise<void> {
    const key = this.prefix + doc.id;
    const meta = { url: doc.url, title: doc.title, author: doc.author, updated_at: doc.updatedAt, source_name: this.source.name, source_kind: this.source.kind, kind: doc.kind };
    const hash = inputHash(`sync-v${SYNC_READER_VERSION}:${this.chunker.maxChars}:${this.chunker.overlapChars}\u0000${JSON.stringify(meta)}\u0000${doc.markdown}`);
    const rows = await this.rows();
    const old = rows.get(doc.id);
    if (old?.hash === hash) {
      this.counts.unchanged++;
      return;
    }
    const parsed = chunkMarkdown(doc.markdown, this.chunker);
    const title = doc.title ?? parsed.title;
    const { chunks, inputs, lang } = await chunkRecords(parsed, key, title);
    if (doc.anchors) linkSections(chunks, doc.anchors);
    if (chunks.length === 0) {
      this.counts.skipped++;
      if (old) await this.remove([doc.id]);
      return;
    }
    const clean = JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
    const provenance = { url: doc.url, author: doc.author, updatedAt: doc.updatedAt, origin: this.source.name, kind: doc.kind };
    const source = { file: '', path: key, name: doc.url, hash, size: Buffer.byteLength(doc.markdown), mtimeMs: Date.parse(doc.updatedAt ?? '') || 0, lang, title, meta: clean, tags: [], provenance };
    this.pending.push({ source, chunks, inputs, kind: old ? 'updated' : 'added' });
    rows.set(doc.id, { id: old?.id ?? -1, file: '', path: key, name: doc.url, hash });
    this.pendingChunks += chunks.length;
    if (this.pendingChunks >= BATCH_CHUNKS) await this.flush();
  }

  /** Removes documents of this source (deleted pages, topics, files). */
  async remove(ids: string[]): Promise<void> {
    const rows = await this.rows();
    const gone: number[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (!row) continue;
      rows.delete(id);
      // a document still waiting in the batch is dropped from it too
      this.pending = this.pending.filter((p) => p.source.path !== row.path);
      if (row.id >= 0) gone.push(row.id);
      this.counts.removed++;
    }
    if (gone.length > 0) await this.store.backend.delete(gone);
  }

  /** Writes the batch (embedding only new text), then the state that follows from it. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingChunks = 0;
    if (batch.length > 0) this.counts.embedded += await writeDocuments(this.store, batch, this.signal);
    for (const p of batch) this.counts[p.kind]++;
    // state objects are updated in place by the kinds: written with every batch that follows them
    if (this.stateDirty || batch.length > 0) {
      await this.store.backend.setSetting(this.stateKey, this.state);
      this.stateDirty = false;
    }
    if (batch.length > 0) this.stored = undefined; // ids of new rows are known after the write
  }
}

/** Each chunk under an anchored section carries that section's URL (a forum post, a comment). */
function linkSections(chunks: ChunkRecord[], anchors: Record<string, string>): void {
  for (const c of chunks) {
    const section = c.heading.split(HEADING_SEPARATOR).find((h) => anchors[h] !== undefined);
    if (section) c.meta = { ...c.meta, url: anchors[section] };
  }
}
