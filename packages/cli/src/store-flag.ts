import type { LoadedPipeline } from '@promptloom/core/spec';
import { locateStore, requireStore, type StoreLocation } from '@promptloom/core/spec';
import type { Io } from './io.js';

/*
 * The CLI side of the one store rule (core locate/store.ts): every command passes its --store
 * flag here, never resolves a folder itself, so each names the same store and says which
 * setting chose it.
 */

/** --store help for commands that work on a store directly (ingest, search, store, runs, ask). */
export const STORE_HELP = 'store folder (default: LOOM_STORE, else ./.loom)';

/** --store help for commands that run pipelines (run, recipes run, test, eval answers). */
export const RUN_STORE_HELP =
  "store for retrieve steps, the call cache and the run ledger; wins over the pipeline's store: (default: the pipeline's store:, else LOOM_STORE, else ./.loom)";

export function storeAt(flag: string | undefined, io: Io, pipeline?: LoadedPipeline): StoreLocation {
  return locateStore({ flag, pipeline, env: io.env, cwd: io.cwd });
}

/** The store a reading command uses; STORE_NOT_FOUND naming the setting that won when it is missing. */
export function existingStore(flag: string | undefined, io: Io, pipeline?: LoadedPipeline): StoreLocation {
  return requireStore({ flag, pipeline, env: io.env, cwd: io.cwd });
}

/** RunOptions.store from --store: resolved against the CLI's working folder, still the caller's choice. */
export function storeOption(flag: string | undefined, io: Io): string | undefined {
  return flag ? storeAt(flag, io).location : undefined;
}
