import { statSync } from 'node:fs';
import type { ChunkRow, Scored } from '../store/backend.js';
import type { Filter } from '../store/filter.js';
import { learnedFile, loadSpace, saveSpace } from './file.js';
import { addToSpace, lastId, MIN_CHUNKS, searchSpace, trainSpace, type LearnedSpace } from './space.js';

export { MIN_CHUNKS };

type MaybePromise<T> = T | Promise<T>;

/** What the learned space needs from a store: its directory and a way to read its chunks. */
export interface LearnedHost {
  dir: string;
  backend: {
    scanChunks(afterId: number, limit: number, filter?: Filter): MaybePromise<ChunkRow[]>;
  };
  /** exact counts (the index's element count includes deleted slots) */
  info(): MaybePromise<{ chunks: number }>;
}

/** Retrain once the chunks added and removed since training reach this share of those trained on. */
export const RETRAIN_SHARE = 0.2;
const PAGE = 5000;

async function* scan(host: LearnedHost, afterId = 0, filter?: Filter): AsyncGenerator<ChunkRow[]> {
  let after = afterId;
  for (;;) {
    const rows = await host.backend.scanChunks(after, PAGE, filter);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1].id;
  }
}

export interface RetrainResult {
  status: 'trained' | 'current' | 'too-small';
  chunks: number;
  pairs?: number;
  /** the share of chunks added or removed since the space was trained */
  changed?: number;
}

/**
 * Trains the store's learned space when it has none, or when the chunks changed since training
 * reach RETRAIN_SHARE (or `force`); below MIN_CHUNKS the store keeps lexical + hashing retrieval.
 * Called at the end of an ingest (holding the writer lock) and by `loom store retrain`.
 */
export async function retrainIfStale(host: LearnedHost, options: { force?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<RetrainResult> {
  // an ingest that changed nothing must not read every chunk's text: the same count and nothing
  // above the space's last id means no chunk was added or removed (ids are never reused)
  if (!options.force) {
    const saved = loadSpace(host.dir);
    const count = (await host.info()).chunks;
    if (saved && count === saved.ids.length && (await host.backend.scanChunks(lastId(saved), 1)).length === 0) {
      return { status: 'current', chunks: count, changed: 0 };
    }
  }
  const rows: ChunkRow[] = [];
  for await (const page of scan(host)) rows.push(...page);
  if (rows.length < MIN_CHUNKS) return { status: 'too-small', chunks: rows.length };
  const current = loadSpace(host.dir);
  if (current && !options.force) {
    const now = new Set(rows.map((r) => r.id));
    const held = new Set(current.ids);
    let changed = 0;
    for (const id of held) if (!now.has(id)) changed++;
    for (const id of now) if (!held.has(id)) changed++;
    const share = changed / Math.max(1, current.trainedChunks);
    if (share < RETRAIN_SHARE) {
      if (changed > 0) {
        // fold in what was added so a reader need not, and forget what was removed
        const kept = keepOnly(current, now);
        addToSpace(kept, rows.filter((r) => !held.has(r.id)));
        saveSpace(host.dir, kept);
      }
      return { status: 'current', chunks: rows.length, changed: share };
    }
  }
  const space = trainSpace(rows.map((r) => ({ ...r })), { onProgress: options.onProgress });
  saveSpace(host.dir, space);
  return { status: 'trained', chunks: rows.length, pairs: space.pairs };
}

function keepOnly(space: LearnedSpace, ids: Set<number>): LearnedSpace {
  const d = space.model.dim;
  const keep: number[] = [];
  space.ids.forEach((id, i) => { if (ids.has(id)) keep.push(i); });
  const vectors = new Float32Array(keep.length * d);
  keep.forEach((i, j) => vectors.set(space.vectors.subarray(i * d, (i + 1) * d), j * d));
  return { ...space, ids: Float64Array.from(keep, (i) => space.ids[i]), vectors, langOf: Uint8Array.from(keep, (i) => space.langOf[i]) };
}

/**
 * The learned list of a store's searches: loads the space on first use (and again when a retrain
 * replaced the file, so a long-running server follows ingests), folds in chunks added since, and
 * narrows to a filter through the set of ids it admits (cached per filter).
 */
export class LearnedSearch {
  private space: LearnedSpace | undefined;
  private loadedMtime = -1;
  private allowed = new Map<string, Set<number>>();

  constructor(private readonly host: LearnedHost) {}

  private async current(): Promise<LearnedSpace | undefined> {
    let mtime = -1;
    try { mtime = statSync(learnedFile(this.host.dir)).mtimeMs; } catch { /* no space trained */ }
    if (mtime !== this.loadedMtime) {
      this.loadedMtime = mtime;
      this.allowed.clear();
      this.space = mtime < 0 ? undefined : loadSpace(this.host.dir);
    }
    if (this.space) {
      for await (const rows of scan(this.host, lastId(this.space))) addToSpace(this.space, rows);
    }
    return this.space;
  }

  /** Whether the store has a learned space to search. */
  async available(): Promise<boolean> {
    return (await this.current()) !== undefined;
  }

  async search(query: string, k: number, filter?: Filter): Promise<Scored[]> {
    const space = await this.current();
    if (!space) return [];
    if (!filter) return searchSpace(space, query, k);
    const key = JSON.stringify(filter);
    let ids = this.allowed.get(key);
    if (!ids) {
      ids = new Set<number>();
      for await (const rows of scan(this.host, 0, filter)) for (const r of rows) ids.add(r.id);
      if (this.allowed.size >= 32) this.allowed.delete(this.allowed.keys().next().value!);
      this.allowed.set(key, ids);
    }
    const admitted = ids;
    return searchSpace(space, query, k, (id) => admitted.has(id));
  }
}
