import { resolve } from 'node:path';
import { toLoomError } from '../errors.js';
import { resolveModel } from '../providers/resolve.js';
import type { ModelHandle } from '../providers/types.js';
import type { LoadedPipeline } from '../spec/types.js';
import type { RunOptions } from './types.js';

/** Stores opened during a run, shared with its child pipelines, closed when the top-level run ends. */
export type StoreCache = Map<string, Promise<unknown>>;


export class RunResources {
  private readonly models = new Map<string, Promise<ModelHandle | undefined>>();

  constructor(
    private readonly pipeline: LoadedPipeline,
    private readonly options: RunOptions,
    readonly env: Record<string, string | undefined>,
    readonly stores: StoreCache,
  ) {}

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
    return (this.options.resolveModel ?? resolveModel)(name, this.pipeline, this.options);
  }

  /**
   * Where a step's store lives: the step's own `store` parameter, else the pipeline's `store:`
   * (both relative to the pipeline's folder), else --store / options.store, else LOOM_STORE,
   * else `.loom` in the working directory.
   */
  storeDir(dir?: string): string {
    if (dir) return resolve(this.pipeline.dir, dir);
    if (this.pipeline.spec.store) return resolve(this.pipeline.dir, this.pipeline.spec.store);
    if (this.options.store) return resolve(this.options.store);
    if (this.env.LOOM_STORE) return resolve(this.env.LOOM_STORE);
    return resolve('.loom');
  }

  openStore(dir?: string): Promise<unknown> {
    const path = this.storeDir(dir);
    let store = this.stores.get(path);
    if (!store) {
      store = this.open(path);
      this.stores.set(path, store);
      // a failed open is not cached: the next step gets a fresh try and the same clear error
      store.catch(() => this.stores.delete(path));
    }
    return store;
  }

  private async open(path: string): Promise<unknown> {
    if (this.options.openStore) return this.options.openStore(path, { env: this.env });
    // the store is heavy (SQLite, HNSW): imported only when a step opens one
    const { openStore } = await import('../store/index.js');
    return openStore(path, { env: this.env });
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
