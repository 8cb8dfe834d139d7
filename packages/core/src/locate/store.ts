import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { LoomError } from '../errors.js';

/*
 * Which store a command or a run uses. This is the only place that decides it; the engine (retrieve
 * steps), the call cache, the run ledger and every CLI command ask here. The rule, first match wins:
 *
 *   1. the caller's choice: `--store` / RunOptions.store / AskOptions.store   (from: 'flag')
 *   2. the pipeline file's `store:`, relative to that file; a child pipeline
 *      without one uses its parent's                                          (from: 'pipeline')
 *   3. the LOOM_STORE environment variable, relative to the working folder     (from: 'env')
 *   4. ./.loom in the working folder                                          (from: 'default')
 *
 * The person running a command outranks the file they run, which outranks the shell's default.
 * An empty value counts as unset. A location is a folder today; a `scheme://` URL (a PostgreSQL
 * store) is passed through unchanged as kind 'url' for the backend that understands it.
 */

export type StoreSettingSource = 'flag' | 'pipeline' | 'env' | 'default';

export interface StoreLocation {
  /** an absolute folder path (kind 'dir') or a URL as written (kind 'url') */
  location: string;
  kind: 'dir' | 'url';
  /** which setting won */
  from: StoreSettingSource;
  /** the pipeline file whose `store:` won (from: 'pipeline') */
  file?: string;
}

export interface LocateStoreInput {
  /** `--store` or the `store` option of a library call */
  flag?: string;
  /** the pipeline being run: its `store:` and the folder it is relative to */
  pipeline?: { file?: string; dir: string; spec: { store?: string } };
  /** the parent run's store, for a child pipeline that names none */
  inherited?: StoreLocation;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

function at(value: string, base: string, from: StoreSettingSource, file?: string): StoreLocation {
  const url = URL_LIKE.test(value);
  return { location: url ? value : resolve(base, value), kind: url ? 'url' : 'dir', from, ...(file ? { file } : {}) };
}

/** Where the store is, and which setting said so (see the rule above). */
export function locateStore(input: LocateStoreInput = {}): StoreLocation {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  if (input.flag) return at(input.flag, cwd, 'flag');
  const declared = input.pipeline?.spec.store;
  if (declared && input.pipeline) return at(declared, input.pipeline.dir, 'pipeline', input.pipeline.file);
  if (input.inherited) return input.inherited;
  if (env.LOOM_STORE) return at(env.LOOM_STORE, cwd, 'env');
  return at('.loom', cwd, 'default');
}

/** "--store", "store: in pipeline.yaml", "LOOM_STORE", "the default ./.loom": for messages. */
export function storeSettingName(loc: StoreLocation, cwd = process.cwd()): string {
  switch (loc.from) {
    case 'flag': return '--store';
    case 'pipeline': return loc.file ? `\`store:\` in ${displayPath(loc.file, cwd)}` : 'the pipeline\'s `store:`';
    case 'env': return 'LOOM_STORE';
    case 'default': return 'the default ./.loom (no --store, no `store:` in the pipeline, no LOOM_STORE)';
  }
}

/** A location as a person reads it, with the setting that chose it: "/x/.loom (from LOOM_STORE)". */
export function describeStore(loc: StoreLocation, cwd = process.cwd()): string {
  return `${displayLocation(loc)} (from ${storeSettingName(loc, cwd)})`;
}

/** A URL's password never reaches a message. */
export function displayLocation(loc: StoreLocation): string {
  return loc.kind === 'url' ? loc.location.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@') : loc.location;
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** True when a folder store exists; a URL store is the backend's to check when it opens. */
export function storeExists(loc: StoreLocation): boolean {
  return loc.kind === 'url' || existsSync(loc.location);
}

/** The hint for a missing store, naming what to change for the setting that won. */
export function missingStoreHint(loc: StoreLocation, cwd = process.cwd()): string {
  const ingest = `create it with: loom ingest <folder> --store ${displayPath(loc.location, cwd)}`;
  switch (loc.from) {
    case 'flag': return `${ingest}, or pass --store an existing store`;
    case 'pipeline': return `${ingest}, or change ${storeSettingName(loc, cwd)}, or pass --store to use another store`;
    case 'env': return `${ingest}, or point LOOM_STORE at an existing store (or pass --store)`;
    case 'default': return `${ingest.replace(/ --store \S+$/, '')} (e.g. loom ingest examples/community-docs), or pass --store / set LOOM_STORE`;
  }
}

/** STORE_NOT_FOUND for a location, saying which setting chose it and what to do. */
export function storeNotFound(loc: StoreLocation, cwd = process.cwd()): LoomError {
  return new LoomError('STORE_NOT_FOUND', `no store at ${describeStore(loc, cwd)}`, {
    file: loc.kind === 'dir' ? loc.location : undefined,
    hint: missingStoreHint(loc, cwd),
  });
}

/** The store location, failing with STORE_NOT_FOUND (naming the setting that won) when it does not exist. */
export function requireStore(input: LocateStoreInput): StoreLocation {
  const loc = locateStore(input);
  if (!storeExists(loc)) throw storeNotFound(loc, input.cwd);
  return loc;
}
