import picomatch from 'picomatch';
import { LoomError } from '../errors.js';

const GLOB_CACHE = new Map<string, (s: string) => boolean>();

/** More wildcards than this and a glob's regex can backtrack for minutes on a long path. */
const MAX_GLOB_WILDCARDS = 12;

/** Whether a source name matches a `source=` glob (1/0: SQLite functions return numbers). */
export function globMatch(pattern: string, value: string): number {
  let m = GLOB_CACHE.get(pattern);
  if (!m) {
    if ((pattern.match(/[*?]/g) ?? []).length > MAX_GLOB_WILDCARDS) {
      throw new LoomError('USAGE', `source filter "${pattern}" has more than ${MAX_GLOB_WILDCARDS} wildcards`, { hint: 'use a simpler glob, e.g. source=guide/** or source=**/*.md' });
    }
    m = picomatch(pattern, { dot: true });
    if (GLOB_CACHE.size > 100) GLOB_CACHE.clear();
    GLOB_CACHE.set(pattern, m);
  }
  return m(value) ? 1 : 0;
}

export type FilterScalar = string | number | boolean;
/** A value to match: a scalar, or an array meaning "any of". */
export type FilterValue = FilterScalar | readonly FilterScalar[];
/**
 * Metadata filters as users write them (`loom search --filter`, the retrieve step, LoomVectorStore):
 * `lang`, `source` (glob), `tag`, or any other metadata key. All keys must match.
 */
export type MetadataFilter = Record<string, FilterValue>;

/**
 * A metadata filter as parsed once: the one reading of filter syntax, which each backend
 * compiles to its own query language (SQLite in sqlite-filter.ts, PostgreSQL in pg/filter.ts).
 * Values inside one clause are alternatives (any of); an empty list matches nothing.
 */
export type FilterClause =
  /** chunk language in (or, with `not`, outside) the list */
  | { kind: 'lang'; values: string[]; not?: boolean }
  /** picomatch globs over the source name; `exclude` ones negated; both empty: nothing */
  | { kind: 'source'; include: string[]; exclude: string[] }
  /** any of these front-matter tags */
  | { kind: 'tag'; values: string[] }
  /**
   * a metadata key whose value (or one of whose array values) is one of these: a string matches
   * the value's text form (`'7'` matches 7 and "7", `'true'` matches true), a number only a
   * number, a boolean only that boolean
   */
  | { kind: 'meta'; key: string; values: FilterScalar[] };

/** All clauses must hold. */
export interface Filter {
  clauses: FilterClause[];
}

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

function badValue(key: string, value: unknown): LoomError {
  const shown = typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value);
  return new LoomError('USAGE', `filter "${key}": ${shown} is not a value the store can match`, {
    hint: 'give a string, number or boolean, an array of them (any of), or (LangChain) a function (doc) => boolean as the whole filter',
  });
}

/** The alternatives of one filter value; strings are comma lists (as `--filter tag=a,b`). */
function scalars(key: string, value: unknown): FilterScalar[] {
  const one = (v: unknown): FilterScalar[] => {
    if (typeof v === 'string') return list(v);
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return [v];
    throw badValue(key, value);
  };
  return Array.isArray(value) ? value.flatMap(one) : one(value);
}

function clauseFor(rawKey: string, value: unknown): FilterClause {
  const key = rawKey.trim().toLowerCase();
  if (!key) throw new LoomError('USAGE', `filter "${rawKey}=${String(value)}" has no key`, { hint: 'use key=value, e.g. lang=zh, source=guide/**, tag=api' });
  const values = scalars(rawKey, value);
  const strings = values.map(String);
  if (key === 'lang' || key === 'language') return { kind: 'lang', values: strings };
  if (key === 'tag' || key === 'tags') return { kind: 'tag', values: strings };
  if (key === 'source' || key === 'path' || key === 'file') {
    return { kind: 'source', include: strings.filter((g) => !g.startsWith('!')), exclude: strings.filter((g) => g.startsWith('!')).map((g) => g.slice(1)) };
  }
  return { kind: 'meta', key: rawKey.trim().replace(/"/g, ''), values };
}

/**
 * Reads metadata filters: `lang` (chunk language), `source` (picomatch globs over the source
 * path, `!` negates), `tag` (front-matter tags), anything else: a metadata key whose value (or one
 * of whose array values) equals one given. Strings are comma lists; numbers, booleans and arrays
 * (any of) are typed. A value the store cannot match (an operator object, null, a nested object)
 * is refused with USAGE, never ignored.
 */
export function parseFilter(filter: Readonly<Record<string, unknown>> | undefined, lang?: string): Filter | undefined {
  if (filter !== undefined && (filter === null || typeof filter !== 'object' || Array.isArray(filter))) throw badValue('(whole filter)', filter);
  const clauses = Object.entries(filter ?? {}).map(([key, value]) => clauseFor(key, value));
  if (lang) clauses.push(clauseFor('lang', lang));
  return clauses.length > 0 ? { clauses } : undefined;
}

/** The filter with one more clause (a new object: filters are shared between lists). */
export function andClause(filter: Filter | undefined, clause: FilterClause): Filter {
  return { clauses: [...(filter?.clauses ?? []), clause] };
}

/** Parses `key=value` flags (repeatable `--filter`). */
export function parseFilterFlags(flags: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags ?? []) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new LoomError('USAGE', `--filter "${flag}" is not key=value`, { hint: 'e.g. --filter lang=zh --filter source=guide/** --filter tag=api' });
    const key = flag.slice(0, eq).trim();
    out[key] = out[key] ? `${out[key]},${flag.slice(eq + 1)}` : flag.slice(eq + 1);
  }
  return out;
}
