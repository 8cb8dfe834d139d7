import type { SqlFilter } from './backend.js';
import type { Filter, FilterClause } from './filter.js';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(',');
const NOTHING: SqlFilter = { where: '0', params: [] };

// json_each over a scalar yields the scalar itself, so one condition covers scalars and arrays;
// JSON true/false read back as 1/0, so their text form is spelled out
const META_TEXT = "CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END";

function metaClause(c: FilterClause & { kind: 'meta' }): SqlFilter {
  const texts = c.values.filter((v): v is string => typeof v === 'string');
  const numbers = c.values.filter((v): v is number => typeof v === 'number');
  const conds: string[] = [];
  if (texts.length) conds.push(`${META_TEXT} IN (${marks(texts.length)})`);
  if (numbers.length) conds.push(`(j.type IN ('integer', 'real') AND j.value IN (${marks(numbers.length)}))`);
  for (const b of new Set(c.values.filter((v) => typeof v === 'boolean'))) conds.push(`j.type = '${b}'`);
  if (conds.length === 0) return NOTHING;
  return {
    where: `c.source_id IN (SELECT s.id FROM sources s WHERE EXISTS (SELECT 1 FROM json_each(s.meta, ?) j WHERE ${conds.join(' OR ')}))`,
    params: [`$."${c.key}"`, ...texts, ...numbers],
  };
}

function sqliteClause(c: FilterClause): SqlFilter {
  switch (c.kind) {
    case 'lang':
      if (c.values.length === 0) return c.not ? { where: '1', params: [] } : NOTHING;
      return { where: `c.lang ${c.not ? 'NOT IN' : 'IN'} (${marks(c.values.length)})`, params: c.values };
    case 'source': {
      if (c.include.length === 0 && c.exclude.length === 0) return NOTHING;
      const conds: string[] = [];
      if (c.include.length) conds.push(`(${c.include.map(() => 'loom_glob(?, s.name)').join(' OR ')})`);
      for (let i = 0; i < c.exclude.length; i++) conds.push('NOT loom_glob(?, s.name)');
      return { where: `c.source_id IN (SELECT s.id FROM sources s WHERE ${conds.join(' AND ')})`, params: [...c.include, ...c.exclude] };
    }
    case 'tag':
      if (c.values.length === 0) return NOTHING;
      return { where: `c.source_id IN (SELECT source_id FROM source_tags WHERE tag IN (${marks(c.values.length)}))`, params: c.values };
    case 'meta':
      return metaClause(c);
  }
}

/** A filter as one SQLite condition over `chunks c` (joined to `sources s` where needed). */
export function toSqliteFilter(filter: Filter | undefined): SqlFilter | undefined {
  if (!filter || filter.clauses.length === 0) return undefined;
  const parts = filter.clauses.map(sqliteClause);
  return { where: parts.map((p) => `(${p.where})`).join(' AND '), params: parts.flatMap((p) => p.params) };
}
