import { globMatch, type Filter, type FilterClause } from '../filter.js';

/** A condition over `{s}.chunks c`, its parameters numbered from `$first`. */
export interface PgFilter {
  where: string;
  params: unknown[];
}

/** The source names a `source=` clause selects by: picomatch decides, as in the SQLite store. */
export type SourceNames = () => Promise<{ id: string; name: string }[]>;

type Param = (v: unknown) => string;

/** A metadata key's value, or each element of an array value, against typed alternatives. */
function metaSql(c: FilterClause & { kind: 'meta' }, p: Param): string {
  const texts = c.values.filter((v): v is string => typeof v === 'string');
  const numbers = c.values.filter((v): v is number => typeof v === 'number');
  const conds: string[] = [];
  // e #>> '{}' is a scalar's text form: "7" for 7 and "7", "true" for true, as in the SQLite store
  if (texts.length) conds.push(`(e #>> '{}') = ANY(${p(texts)}::text[])`);
  if (numbers.length) conds.push(`(jsonb_typeof(e) = 'number' AND (e #>> '{}')::numeric = ANY(${p(numbers)}::numeric[]))`);
  for (const b of new Set(c.values.filter((v) => typeof v === 'boolean'))) conds.push(`e = '${b}'::jsonb`);
  if (conds.length === 0) return 'false';
  const key = p(c.key);
  return `c.source_id IN (SELECT s.id FROM {s}.sources s WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(
    CASE jsonb_typeof(s.meta -> ${key}) WHEN 'array' THEN s.meta -> ${key} ELSE jsonb_build_array(s.meta -> ${key}) END) e WHERE ${conds.join(' OR ')}))`;
}

async function clauseSql(c: FilterClause, p: Param, names: SourceNames): Promise<string> {
  switch (c.kind) {
    case 'lang':
      if (c.values.length === 0) return c.not ? 'true' : 'false';
      return `${c.not ? 'NOT ' : ''}(c.lang = ANY(${p(c.values)}::text[]))`;
    case 'source': {
      if (c.include.length === 0 && c.exclude.length === 0) return 'false';
      // globs are matched in JS over the source names (one query, cached per store change):
      // PostgreSQL's regexes are not picomatch's, and two meanings of one glob would be a bug
      const ids = (await names()).filter((s) => (c.include.length === 0 || c.include.some((g) => globMatch(g, s.name))) && !c.exclude.some((g) => globMatch(g, s.name))).map((s) => s.id);
      return `c.source_id = ANY(${p(ids)}::bigint[])`;
    }
    case 'tag':
      if (c.values.length === 0) return 'false';
      return `c.source_id IN (SELECT id FROM {s}.sources WHERE tags && ${p(c.values)}::text[])`;
    case 'meta':
      return metaSql(c, p);
  }
}

/** Compiles a filter to one PostgreSQL condition over `chunks c`, parameters from `$first`. */
export async function toPgFilter(filter: Filter | undefined, first: number, names: SourceNames): Promise<PgFilter | undefined> {
  if (!filter || filter.clauses.length === 0) return undefined;
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  const parts: string[] = [];
  for (const c of filter.clauses) parts.push(`(${await clauseSql(c, p, names)})`);
  return { where: parts.join(' AND '), params };
}
