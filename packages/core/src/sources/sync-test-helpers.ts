import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, sqliteOf } from '../store/index.js';
import { syncSources, type SourceSummary, type SyncOptions } from './run.js';

/** A temporary folder with a sources file and a store, for the sync tests. */
export class SyncFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'loom-sync-'));
  readonly warnings: string[] = [];

  writeSources(body: string): void {
    writeFileSync(join(this.dir, 'loom.sources.yaml'), `version: 1\nstore: .loom\nsources:\n${body}`);
  }

  async sync(extra: Partial<SyncOptions> = {}): Promise<SourceSummary> {
    const summary = await syncSources({ sources: 'loom.sources.yaml', cwd: this.dir, retry: { attempts: 3, baseMs: 5, maxMs: 5000 }, onWarning: (m) => this.warnings.push(m), ...extra });
    return summary.sources[0];
  }

  /** Every stored chunk with its document's metadata and its own. */
  async rows(): Promise<{ text: string; heading: string; meta: Record<string, unknown>; chunkMeta: Record<string, unknown> }[]> {
    const store = await openStore(join(this.dir, '.loom'), { readonly: true });
    try {
      const rows = sqliteOf(store).db.db.prepare('SELECT c.text, c.heading, c.meta AS chunkMeta, s.meta FROM chunks c JOIN sources s ON s.id = c.source_id ORDER BY c.id').all() as { text: string; heading: string; meta: string; chunkMeta: string | null }[];
      return rows.map((r) => ({ text: r.text, heading: r.heading, meta: JSON.parse(r.meta), chunkMeta: r.chunkMeta ? JSON.parse(r.chunkMeta) : {} }));
    } finally {
      store.close();
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
