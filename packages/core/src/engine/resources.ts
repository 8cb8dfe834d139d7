import { isLoomError, toLoomError } from '../errors.js';
import { locateStore, storeExists, storeNotFound, type StoreLocation } from '../locate/store.js';
import { resolveModel } from '../providers/resolve.js';
import type { ModelHandle } from '../providers/types.js';
import type { LoadedPipeline } from '../spec/types.js';
import type { RunOptions } from './types.js';

/** Stores opened during a run, shared with its child pipelines, closed when the top-level run ends. */
export type StoreCache = Map<string, Promise<unknown>>;


export class RunResources {
  private readonly models = new Map<string, Promise<ModelHandle | undefined>>();
  /**
   * This run's store (locate/store.ts decides: --store, else the pipeline's `store:`, else the
   * parent run's, else LOOM_STORE, else ./.loom). Retrieve steps read it and the call cache lives in it.
   */
  readonly store: StoreLocation;

  constructor(
    private readonly pipeline: LoadedPipeline,
    private readonly options: RunOptions,
    readonly env: Record<string, string | undefined>,
    readonly stores: StoreCache,
    /** the parent run's store, for a child pipeline */
    inherited?: StoreLocation,
  ) {
    this.store = locateStore({ flag: options.store, pipeline, inherited, env });
  }

  /** The model handle for a step's `model:` (or 'default'), once per name per run. */
  model(name: string | undefined): Promise<ModelHandle | undefined> {
    const key = name ?? 'default';
    let handle = this.models.get(key);
    if (!handle) {
      handle = this.resolveModel(name);
      this.models.set(key, handle);
    }
    return handle;
  }

  private async resolveModel(name: string | undefined): Promise<ModelHandle | undefined> {
    if (this.options.resolveModel) return this.options.resolveModel(name, this.pipeline, this.options);
    return resolveModel(name, this.pipeline, this.options, { store: this.store });
  }

  /**
   * The store a step reads: its own `store` parameter (relative to the pipeline's folder: a
   * pipeline reading a second store names it), else the run's store.
   */
  storeLocation(dir?: string): StoreLocation {
    if (!dir) return this.store;
    return locateStore({ pipeline: { file: this.pipeline.file, dir: this.pipeline.dir, spec: { store: dir } }, env: {} });
  }

  openStore(dir?: string): Promise<unknown> {
    const loc = this.storeLocation(dir);
    const path = loc.location;
    let store = this.stores.get(path);
    if (!store) {
      store = this.open(loc);
      this.stores.set(path, store);
      // a failed open is not cached: the next step gets a fresh try and the same clear error
      store.catch(() => this.stores.delete(path));
    }
    return store;
  }

  private async open(loc: StoreLocation): Promise<unknown> {
    if (this.options.openStore) return this.options.openStore(loc.location, { env: this.env });
    if (!storeExists(loc)) throw storeNotFound(loc);
    // the store is heavy (SQLite, HNSW): imported only when a step opens one
    const { openDocumentStore } = await import('../store/index.js');
    try {
      return await openDocumentStore(loc.location, { env: this.env });
    } catch (error) {
      // a folder without a store in it: say which setting chose it
      if (isLoomError(error) && error.code === 'STORE_NOT_FOUND') throw storeNotFound(loc);
      throw error;
    }
  }
}

/** Closes every store opened in a run; a failing close is reported, not thrown over the run's result. */
export async function closeStores(stores: StoreCache): Promise<string[]> {
  const problems: string[] = [];
  for (const [dir, pending] of stores) {
    try {
      const store = (await pending) as { close?: () => unknown };
      await store?.close?.();
    } catch (error) {
      problems.push(`closing store ${dir}: ${toLoomError(error).message}`);
    }
  }
  stores.clear();
  return problems;
}
