import { LoomError } from '../errors.js';
import type { SqlFilter } from './backend.js';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * A metadata filter as parsed from `--filter key=value` flags: the one reading of filter syntax,
 * which each backend compiles to its own SQL (SQLite here, PostgreSQL in pg/filter.ts).
 */
export type FilterClause =
  /** chunk language in (or, with `not`, outside) the list */
  | { kind: 'lang'; values: string[]; not?: boolean }
  /** picomatch globs over the source name; `exclude` ones negated */
  | { kind: 'source'; include: string[]; exclude: string[] }
  /** any of these front-matter tags */
  | { kind: 'tag'; values: string[] }
  /** a front-matter key whose value (or one of whose array values) is one of these */
  | { kind: 'meta'; key: string; values: string[] };

/** All clauses must hold. */
export interface Filter {
  clauses: FilterClause[];
}

/**
 * Reads metadata filters: `lang` (chunk language, comma list), `source` (picomatch glob over the
 * source path, comma list, `!` negates), `tag` (front-matter tags, comma list = any), anything
 * else: a front-matter key whose value (or one of whose array values) equals the given one.
 */
export function parseFilter(filter: Record<string, string> | undefined, lang?: string): Filter | undefined {
  const clauses: FilterClause[] = [];
  const entries = Object.entries(filter ?? {});
  if (lang) entries.push(['lang', lang]);
  for (const [rawKey, value] of entries) {
    const key = rawKey.trim().toLowerCase();
    if (!key) throw new LoomError('USAGE', `filter "${rawKey}=${value}" has no key`, { hint: 'use key=value, e.g. lang=zh, source=guide/**, tag=api' });
    if (key === 'lang' || key === 'language') {
      clauses.push({ kind: 'lang', values: list(value) });
    } else if (key === 'source' || key === 'path' || key === 'file') {
      const globs = list(value);
      clauses.push({ kind: 'source', include: globs.filter((g) => !g.startsWith('!')), exclude: globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1)) });
    } else if (key === 'tag' || key === 'tags') {
      clauses.push({ kind: 'tag', values: list(value) });
    } else {
      clauses.push({ kind: 'meta', key: rawKey.trim().replace(/"/g, ''), values: list(value) });
    }
  }
  return clauses.length > 0 ? { clauses } : undefined;
}

/** The filter with one more clause (a new object: filters are shared between lists). */
export function andClause(filter: Filter | undefined, clause: FilterClause): Filter {
  return { clauses: [...(filter?.clauses ?? []), clause] };
}

function inList(column: string, values: string[], not = false): SqlFilter {
  return { where: `${column} ${not ? 'NOT IN' : 'IN'} (${values.map(() => '?').join(',')})`, params: values };
}

function sqliteClause(c: FilterClause): SqlFilter {
  switch (c.kind) {
    case 'lang':
      return inList('c.lang', c.values, c.not);
    case 'source': {
      const conds: string[] = [];
      if (c.include.length) conds.push(`(${c.include.map(() => 'loom_glob(?, s.name)').join(' OR ')})`);
      for (let i = 0; i < c.exclude.length; i++) conds.push('NOT loom_glob(?, s.name)');
      return { where: `c.source_id IN (SELECT s.id FROM sources s WHERE ${conds.join(' AND ') || '1'})`, params: [...c.include, ...c.exclude] };
    }
    case 'tag':
      return { where: `c.source_id IN (SELECT source_id FROM source_tags WHERE tag IN (${c.values.map(() => '?').join(',')}))`, params: c.values };
    case 'meta':
      // json_each over a scalar yields the scalar itself, so one condition covers both shapes
      return {
        where: `c.source_id IN (SELECT s.id FROM sources s WHERE EXISTS (SELECT 1 FROM json_each(s.meta, ?) j WHERE CAST(j.value AS TEXT) IN (${c.values.map(() => '?').join(',')})))`,
        params: [`$."${c.key}"`, ...c.values],
      };
  }
}

/** A filter as one SQLite condition over `chunks c`. */
export function toSqliteFilter(filter: Filter | undefined): SqlFilter | undefined {
  if (!filter || filter.clauses.length === 0) return undefined;
  const parts = filter.clauses.map(sqliteClause);
  return { where: parts.map((p) => `(${p.where})`).join(' AND '), params: parts.flatMap((p) => p.params) };
}

/** Parses and compiles for SQLite in one go. */
export function compileFilter(filter: Record<string, string> | undefined, lang?: string): SqlFilter | undefined {
  return toSqliteFilter(parseFilter(filter, lang));
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
