import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { SqliteDb } from './sqlite.js';
import type { LogEntry, Scored } from './backend.js';
import { dot, toArray } from './vectors.js';

export interface HnswParams {
  m: number;
  efConstruction: number;
  /** search breadth; raised to k*2 for large k */
  ef: number;
}

export const DEFAULT_HNSW: HnswParams = { m: 16, efConstruction: 200, ef: 256 };

/** What SQLite remembers about the derived index file. */
export interface IndexFileRecord {
  name: string;
  generation: number;
  size: number;
  fingerprint: string;
  dims: number;
  elements: number;
}

type Progress = (p: { phase: string; done: number; total: number }) => void;

/**
 * Size plus a hash of 16 evenly spaced 64 KB blocks: catches truncated, swapped or foreign files
 * on open without reading gigabytes (`store check` compares the contents label by label).
 */
/**
 * The fewest bytes hnswlib writes for `elements` vectors: each has its level-0 links (2m + 1
 * ints), its vector, its label and a link-list size. hnswlib does not report a failed write (a
 * full disk leaves a short or empty file), so a file below this is not an index.
 */
export function minIndexBytes(elements: number, dims: number, m: number): number {
  return elements * ((2 * m + 1) * 4 + dims * 4 + 8 + 4);
}

export function fingerprint(file: string): string {
  const size = statSync(file).size;
  const h = createHash('sha256').update(String(size));
  const block = Buffer.alloc(65536);
  const fd = openSync(file, 'r');
  try {
    for (let i = 0; i < 16; i++) {
      const pos = Math.floor(((size - block.length) * i) / 15);
      const n = readSync(fd, block, 0, block.length, Math.max(0, pos));
      h.update(block.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * The HNSW index derived from SQLite's vectors. Labels are chunk ids. It knows the last change-log
 * sequence it contains (`generation`); `sync` replays newer log entries, and a file that is
 * missing, foreign or older than the log's floor is rebuilt from SQLite.
 */
export class VectorIndex {
  private index: hnswlib.HierarchicalNSW;
  generation = 0;
  /** changes applied in memory since the file was written */
  unsaved = 0;
  state: 'loaded' | 'rebuilt' | 'empty' = 'empty';
  /** true while this process holds the writer lock: every change goes into the graph, which it saves */
  writer = false;
  /**
   * Labels caught up from the log but not inserted into the graph, searched exactly. A reader
   * catching up with a large backlog (another process's running ingest) would otherwise spend
   * minutes inserting into a graph it never saves.
   */
  private readonly pending = new Map<number, Float32Array>();
  /** backlogs of more new labels than this go to `pending` in readers */
  static deferInserts = 2000;

  constructor(private readonly db: SqliteDb, private readonly dir: string, readonly dims: number, readonly params: HnswParams) {
    this.index = this.fresh(1024);
  }

  private fresh(capacity: number): hnswlib.HierarchicalNSW {
    const index = new hnswlib.HierarchicalNSW('ip', this.dims);
    index.initIndex({ maxElements: capacity, m: this.params.m, efConstruction: this.params.efConstruction, randomSeed: 100, allowReplaceDeleted: true });
    index.setEf(this.params.ef);
    return index;
  }

  /** Loads the recorded file if it is intact and still covered by the log, else rebuilds. */
  open(onProgress?: Progress): void {
    if (this.tryLoad()) {
      this.sync(onProgress);
      return;
    }
    this.rebuild(onProgress);
  }

  private tryLoad(): boolean {
    const rec = this.db.getSetting<IndexFileRecord>('hnsw_file');
    const floor = this.db.getSetting<number>('log_floor') ?? 0;
    if (!rec || rec.dims !== this.dims || rec.generation < floor || rec.generation > this.db.generation()) return false;
    const file = join(this.dir, rec.name);
    try {
      if (!existsSync(file) || statSync(file).size !== rec.size || fingerprint(file) !== rec.fingerprint) return false;
      const index = new hnswlib.HierarchicalNSW('ip', this.dims);
      index.readIndexSync(file, true);
      if (index.getNumDimensions() !== this.dims) return false;
      index.setEf(this.params.ef);
      this.index = index;
      this.pending.clear();
    } catch {
      return false; // deleted by a concurrent save or unreadable: rebuild
    }
    this.generation = rec.generation;
    this.unsaved = 0;
    this.state = 'loaded';
    return true;
  }

  /** Rebuilds from SQLite's vectors in one read snapshot. */
  rebuild(onProgress?: Progress): void {
    this.db.db.transaction(() => {
      const gen = this.db.generation();
      // chunks and vectors are one to one; counting chunks uses a small covering index
      const total = this.db.count('chunks');
      const index = this.fresh(Math.max(1024, Math.ceil(total * 1.1)));
      let done = 0;
      onProgress?.({ phase: 'index', done, total });
      for (const { id, v } of this.db.iterateVectors()) {
        // vectors of another size belong to an interrupted re-embed; they come back when it resumes
        if (v.length === this.dims) index.addPoint(toArray(v), id);
        if (++done % 2000 === 0) onProgress?.({ phase: 'index', done, total });
      }
      onProgress?.({ phase: 'index', done, total });
      this.index = index;
      this.pending.clear();
      this.generation = gen;
      this.unsaved = total + 1;
      this.state = total ? 'rebuilt' : 'empty';
    })();
  }

  /** Applies change-log entries newer than `generation`; returns how many labels changed. */
  sync(onProgress?: Progress): number {
    if (this.db.generation() === this.generation) return 0;
    const floor = this.db.getSetting<number>('log_floor') ?? 0;
    if (floor > this.generation) {
      // another process saved and truncated the log past us: reload its file
      if (!this.tryLoad()) this.rebuild(onProgress);
      return this.sync(onProgress);
    }
    return this.db.db.transaction(() => {
      const entries = this.db.logSince(this.generation);
      if (entries.length === 0) return 0;
      const changed = this.apply(entries, onProgress);
      this.generation = entries[entries.length - 1].seq;
      return changed;
    })();
  }

  private apply(entries: LogEntry[], onProgress?: Progress): number {
    // collapse to the first and last op per label: labels are never reused, so a label first
    // seen as an add is new to the file, anything else is already in it
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    for (const e of entries) {
      if (!first.has(e.label)) first.set(e.label, e.op);
      last.set(e.label, e.op);
    }
    let added = 0;
    for (const [label, op] of last) if (op !== 0 && first.get(label) === 1) added++;
    const defer = !this.writer && added > VectorIndex.deferInserts;
    this.ensureCapacity(defer ? 0 : added);
    let done = 0;
    for (const [label, op] of last) {
      const isNew = first.get(label) === 1;
      const v = op === 0 ? undefined : this.db.vector(label);
      if (!v || v.length !== this.dims) {
        if (!this.pending.delete(label) && !isNew) this.markDeleted(label);
      } else if (this.pending.has(label) || (defer && isNew)) {
        this.pending.set(label, v);
      } else {
        this.upsertPoint(v, label, isNew);
      }
      if (++done % 5000 === 0) onProgress?.({ phase: 'index', done, total: last.size });
    }
    this.unsaved += last.size;
    return last.size;
  }

  private upsertPoint(v: Float32Array, label: number, isNew: boolean): void {
    if (isNew) {
      this.index.addPoint(toArray(v), label, true); // reuses a deleted element's slot when there is one
      return;
    }
    try {
      this.index.addPoint(toArray(v), label, false);
    } catch {
      // hnswlib refuses to update a marked-deleted element in replace mode: revive it first
      try { this.index.unmarkDelete(label); } catch { /* not in the index at all */ }
      this.index.addPoint(toArray(v), label, false);
    }
  }

  private markDeleted(label: number): void {
    try {
      this.index.markDelete(label);
    } catch {
      // already deleted or never added (e.g. an add that failed before a crash): nothing to remove
    }
  }

  private ensureCapacity(adding: number): void {
    const need = this.index.getCurrentCount() + adding;
    const cap = this.index.getMaxElements();
    if (need > cap) this.index.resizeIndex(Math.max(need, Math.ceil(cap * 1.5)));
  }

  /** Inserts the labels held in `pending` into the graph (a writer, before it saves). */
  absorbPending(): void {
    if (this.pending.size === 0) return;
    this.ensureCapacity(this.pending.size);
    for (const [label, v] of this.pending) this.index.addPoint(toArray(v), label, true);
    this.unsaved += this.pending.size;
    this.pending.clear();
  }

  /** Nearest chunks by inner product (= cosine on normalised vectors), best first. */
  search(query: Float32Array, k: number, options: { ef?: number; filter?: (label: number) => boolean } = {}): Scored[] {
    if (k <= 0) return [];
    const count = this.index.getCurrentCount();
    let out: Scored[] = [];
    if (count > 0) {
      const kk = Math.min(k, this.index.getMaxElements());
      this.index.setEf(Math.max(options.ef ?? this.params.ef, kk * 2, this.params.ef));
      const res = this.index.searchKnn(toArray(query), kk, options.filter);
      out = res.neighbors.map((id, i) => ({ id, score: 1 - res.distances[i] }));
    }
    if (this.pending.size === 0) return out;
    for (const [label, v] of this.pending) if (!options.filter || options.filter(label)) out.push({ id: label, score: dot(query, v) });
    return out.sort((a, b) => b.score - a.score).slice(0, k);
  }

  /** Writes the index atomically (temp file + rename), then records it and trims the log. */
  save(): void {
    this.absorbPending();
    const name = `index-${this.generation}.hnsw`;
    const file = join(this.dir, name);
    const tmp = `${file}.tmp-${process.pid}`;
    this.index.writeIndexSync(tmp);
    const fd = openSync(tmp, 'r+');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    if (statSync(tmp).size < minIndexBytes(this.index.getCurrentCount(), this.dims, this.params.m)) {
      try { unlinkSync(tmp); } catch { /* already gone */ }
      // the previous index file stays in place; ENOSPC is what a short write nearly always means
      throw Object.assign(new Error(`writing ${name} stopped short (is the disk full?)`), { code: 'ENOSPC' });
    }
    renameSync(tmp, file);
    const rec: IndexFileRecord = { name, generation: this.generation, size: statSync(file).size, fingerprint: fingerprint(file), dims: this.dims, elements: this.index.getCurrentCount() };
    this.db.db.transaction(() => {
      this.db.setSetting('hnsw_file', rec);
      this.db.truncateLog(this.generation);
    }).immediate();
    this.unsaved = 0;
    for (const f of readdirSync(this.dir)) {
      if (f !== name && /^index-\d+\.hnsw(\.tmp-\d+)?$/.test(f)) {
        try { unlinkSync(join(this.dir, f)); } catch { /* a reader may still hold it; harmless */ }
      }
    }
  }

  get elements(): number {
    return this.index.getCurrentCount() + this.pending.size;
  }

  get deferred(): number {
    return this.pending.size;
  }

  labels(): number[] {
    return [...this.index.getIdsList(), ...this.pending.keys()];
  }

  /** The stored vector of a live label, or undefined when it is absent or marked deleted. */
  point(label: number): number[] | undefined {
    const p = this.pending.get(label);
    if (p) return Array.from(p);
    try {
      return this.index.getPoint(label);
    } catch {
      return undefined;
    }
  }
}
