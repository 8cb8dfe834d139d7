import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentStore, LoomStore } from '@promptloom/core';

/**
 * The server's one read-only view of the store. Searches already replay new index generations
 * (the HNSW change log), so an ingest beside the server shows up on the next request; what a
 * replay cannot follow — the store removed and re-created, or re-embedded with another embedder —
 * is caught here by the database file's identity and the remembered embedder, and reopens it.
 */
export class StoreHandle {
  private current?: { store: LoomStore; ino: number; embedder: string };
  private opening?: Promise<LoomStore>;

  constructor(readonly dir: string, private readonly env: Record<string, string | undefined>) {}

  async get(): Promise<LoomStore> {
    const cur = this.current;
    if (cur && this.identity(cur.store) === `${cur.ino}:${cur.embedder}`) return cur.store;
    this.opening ??= this.reopen().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** A view for runPipeline: the run closes what it opened, and must not close the shared store. */
  async forRun(): Promise<DocumentStore> {
    const store = await this.get();
    return {
      dir: store.dir, embedderId: store.embedderId,
      search: (q, o) => store.search(q, o), info: () => store.info(), check: () => store.check(),
      close: () => undefined,
    };
  }

  close(): void {
    this.current?.store.close();
    this.current = undefined;
  }

  private identity(store: LoomStore): string {
    try {
      const ino = statSync(join(this.dir, 'loom.db')).ino;
      const embedder = store.embedderId;
      return `${ino}:${embedder}`;
    } catch {
      return 'gone';
    }
  }

  private async reopen(): Promise<LoomStore> {
    const { openStore } = await import('@promptloom/core');
    const store = await openStore(this.dir, { readonly: true, env: this.env });
    const old = this.current?.store;
    this.current = { store, ino: statSync(join(this.dir, 'loom.db')).ino, embedder: store.embedderId };
    // searches still running on the old handle finish first: close it a little later
    if (old) setTimeout(() => old.close(), 5_000).unref();
    return store;
  }
}
