import type { RetrainResult } from '../learned/lifecycle.js';
import { existsSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { isLoomError } from '../errors.js';
import { DEFAULT_MAX_CHARS, DEFAULT_OVERLAP_CHARS, type ChunkOptions } from '../text/chunk.js';
import type { SourceRecord, SourceRow } from '../store/backend.js';
import { chunkUid, inputHash } from '../store/records.js';
import { chunkRecords, writeDocuments, type IngestTarget, type PendingDocument } from './documents.js';
import { decode, looksBinary, readDocuments, type ReadDocument } from './read.js';
import type { WalkedFile, WalkResult } from './walk.js';
import type { IngestOptions } from './index.js';

export interface IngestSummary {
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  /** documents found under a new path with unchanged content: moved, nothing embedded */
  renamed: number;
  skipped: { file: string; reason: string }[];
  /** chunks written for added and updated documents */
  chunks: number;
  /** chunks embedded (the rest reused a stored vector of identical text) */
  embedded: number;
  files: number;
  seconds: number;
  /** the learned space after this ingest (learned/lifecycle.ts); absent with `learn: false` */
  learned?: RetrainResult & { seconds: number };
}

interface Pending extends PendingDocument {
  kind: 'added' | 'updated';
}

const BATCH_CHUNKS = 256;
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** bump when reading or chunking changes in a way that should re-chunk unchanged files */
const READER_VERSION = 2; // 2: one CommonMark block model (headings, fences, containers read anew)

/** One ingest run inside the writer lock; see `ingest`. */
export class IngestRun {
  private readonly s: IngestSummary = { added: 0, updated: 0, unchanged: 0, removed: 0, renamed: 0, skipped: [], chunks: 0, embedded: 0, files: 0, seconds: 0 };
  private pending: Pending[] = [];
  private pendingChunks = 0;
  private readonly seenFiles = new Set<string>();
  private readonly seenKeys = new Set<string>();
  private chunker: ChunkOptions = { maxChars: DEFAULT_MAX_CHARS, overlapChars: DEFAULT_OVERLAP_CHARS };
  private fingerprint?: string;

  constructor(private readonly store: IngestTarget, private readonly walked: WalkResult, private readonly options: IngestOptions) {
    for (const w of walked.warnings) this.skip(w.file, w.reason);
  }

  /** Reads and records the chunker settings once (a PostgreSQL store answers asynchronously). */
  private async init(): Promise<void> {
    if (this.fingerprint !== undefined) return;
    const stored = await this.store.backend.getSetting<{ maxChars: number; overlapChars: number }>('chunker');
    this.chunker = {
      maxChars: this.options.chunkSize ?? stored?.maxChars ?? DEFAULT_MAX_CHARS,
      overlapChars: this.options.chunkOverlap ?? stored?.overlapChars ?? DEFAULT_OVERLAP_CHARS,
    };
    await this.store.backend.setSetting('chunker', { ...this.chunker, reader: READER_VERSION });
    // metadata given by the caller (a sync source's name and weight) is part of what a hash covers
    this.fingerprint = `v${READER_VERSION}:${this.chunker.maxChars}:${this.chunker.overlapChars}${this.options.meta ? `:${JSON.stringify(this.options.meta)}` : ''}`;
  }

  private skip(file: string, reason: string): void {
    this.s.skipped.push({ file, reason });
    this.options.onWarning?.(`skipped ${file}: ${reason}`);
  }

  async files(): Promise<void> {
    await this.init();
    const files = this.walked.files;
    this.options.onProgress?.({ phase: 'ingest', done: 0, total: files.length });
    for (let i = 0; i < files.length; i++) {
      this.options.signal?.throwIfAborted();
      await this.file(files[i]);
      if (this.pendingChunks >= BATCH_CHUNKS) await this.flush();
      this.options.onProgress?.({ phase: 'ingest', done: i + 1, total: files.length, file: files[i].name });
    }
    await this.flush();
  }

  private async file(f: WalkedFile): Promise<void> {
    this.seenFiles.add(f.abs);
    this.s.files++;
    const maxBytes = this.options.maxFileBytes ?? DEFAULT_MAX_BYTES;
    if (f.size > maxBytes) return this.skip(f.name, `larger than ${(maxBytes / 1048576).toFixed(maxBytes % 1048576 ? 1 : 0)} MB (${(f.size / 1048576).toFixed(1)} MB)`);
    let buf: Buffer;
    try {
      buf = readFileSync(f.abs);
    } catch (error) {
      return this.skip(f.name, `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (looksBinary(buf)) return this.skip(f.name, 'binary file (NUL bytes)');
    if (!isUtf8(buf)) this.options.onWarning?.(`${f.name}: not valid UTF-8 (Latin-1? GBK?); read with replacement characters, save it as UTF-8 for clean text`);
    let read: Awaited<ReturnType<typeof readDocuments>>;
    try {
      read = await readDocuments(f.name, decode(buf));
    } catch (error) {
      // one hostile file (JSON nested 100,000 deep) must not stop the whole ingest
      return this.skip(f.name, unparsable(error));
    }
    const { docs, problems } = read;
    if (problems.length > 0) this.options.onWarning?.(`${f.name}: ${problems.join('; ')}`);
    if (docs.length === 0 && problems.length > 0) this.s.skipped.push({ file: f.name, reason: problems[0] });
    const existing = new Map((await this.store.backend.sourcesOfFile(f.abs)).map((s) => [s.path, s]));
    const keys = new Set<string>();
    for (const doc of docs) {
      const key = doc.record ? `${f.abs}#${doc.record}` : f.abs;
      const name = doc.record ? `${f.name}#${doc.record}` : f.name;
      keys.add(key);
      this.seenKeys.add(key);
      await this.document(doc, key, name, f, existing.get(key));
    }
    const gone = [...existing.values()].filter((s) => !keys.has(s.path)).map((s) => s.id);
    if (gone.length > 0) {
      await this.store.backend.delete(gone);
      this.s.removed += gone.length;
    }
  }

  private async document(doc: ReadDocument, key: string, name: string, f: WalkedFile, old: SourceRow | undefined): Promise<void> {
    const hash = inputHash(`${this.fingerprint}\u0000${doc.content}`);
    if (old && old.hash === hash) {
      if (old.name !== name) await this.store.backend.moveSource(old.id, { file: f.abs, path: key, name, mtimeMs: f.mtimeMs }, new Map());
      this.s.unchanged++;
      return;
    }
    if (!old && (await this.tryRename(hash, key, name, f))) return;
    let pending: Pending;
    try {
      pending = await this.prepare(doc, key, name, hash, f);
    } catch (error) {
      if (isLoomError(error)) throw error;
      // the stored version, if any, stays: the file is reported instead of half-read
      return this.skip(name, unparsable(error));
    }
    if (pending.chunks.length === 0) {
      if (old) { await this.store.backend.delete([old.id]); this.s.removed++; }
      // (a page of front matter only, or only markup): reported, so the summary adds up
      else this.skip(name, 'no text to index (only front matter or markup)');
      return;
    }
    pending.kind = old ? 'updated' : 'added';
    this.pending.push(pending);
    this.pendingChunks += pending.chunks.length;
  }

  /** Same content under a new path while the old file is gone: move the document, keep its vectors. */
  private async tryRename(hash: string, key: string, name: string, f: WalkedFile): Promise<boolean> {
    const from = (await this.store.backend.sourcesByHash(hash)).find((s) => s.path !== key && !this.seenKeys.has(s.path) && s.file !== '' && !existsSync(s.file));
    if (!from) return false;
    const uids = new Map<number, string>();
    const occurrences = new Map<string, number>();
    for (const c of await this.store.backend.chunksOfSource(from.id)) {
      const n = occurrences.get(c.textHash) ?? 0;
      occurrences.set(c.textHash, n + 1);
      uids.set(c.id, chunkUid(key, c.textHash, n));
    }
    await this.store.backend.moveSource(from.id, { file: f.abs, path: key, name, mtimeMs: f.mtimeMs }, uids);
    this.seenKeys.add(from.path);
    this.s.renamed++;
    return true;
  }

  private async prepare(doc: ReadDocument, key: string, name: string, hash: string, f: WalkedFile): Promise<Pending> {
    const parsed = await doc.parse(this.chunker);
    const title = doc.title ?? parsed.title;
    const meta = jsonSafe({ ...parsed.frontMatter, ...doc.meta, ...this.options.meta }) as Record<string, unknown>;
    const { chunks, inputs, lang } = await chunkRecords(parsed, key, title);
    const source: SourceRecord = { file: f.abs, path: key, name, hash, size: f.size, mtimeMs: f.mtimeMs, lang, title, meta, tags: tagsOf(meta) };
    return { source, chunks, inputs, kind: 'added' };
  }

  /** Embeds what no stored chunk already has a vector for, then writes each document. */
  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingChunks = 0;
    this.s.embedded += await writeDocuments(this.store, batch, this.options.signal);
    for (const p of batch) {
      this.s[p.kind]++;
      this.s.chunks += p.chunks.length;
    }
  }

  /** Removes documents under the given folders whose files were not seen in this run. */
  async prune(): Promise<void> {
    const gone = new Set<number>();
    for (const dir of this.walked.dirs) {
      for (const s of await this.store.backend.sourcesUnder(dir.endsWith(sep) ? dir : dir + sep)) {
        if (!this.seenFiles.has(s.file)) gone.add(s.id);
      }
    }
    await this.store.backend.delete([...gone]);
    this.s.removed += gone.size;
  }

  finish(t0: number): IngestSummary {
    return { ...this.s, seconds: Math.round((performance.now() - t0) / 10) / 100 };
  }
}

/** Why a file's content could not be turned into chunks, in words for the warning line. */
function unparsable(error: unknown): string {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (error instanceof RangeError) return 'nested too deeply to read';
  if (/circular/i.test(message)) return 'its front matter or metadata contains itself (a recursive YAML alias)';
  return `could not be read (${message})`;
}

function tagsOf(meta: Record<string, unknown>): string[] {
  const raw = meta.tags ?? meta.tag ?? meta.keywords;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  return list.map((t) => String(t).trim()).filter(Boolean);
}

function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? {}, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
}
