import { LoomError } from '../errors.js';
import type { SqlFilter } from './backend.js';

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

function inList(column: string, values: string[]): SqlFilter {
  return { where: `${column} IN (${values.map(() => '?').join(',')})`, params: values };
}

/**
 * Compiles metadata filters to one SQL condition over `chunks c`:
 * `lang` (chunk language, comma list), `source` (picomatch glob over the source path, comma list,
 * `!` negates), `tag` (front-matter tags, comma list = any), anything else: a front-matter key
 * whose value (or one of whose array values) equals the given one.
 */
export function compileFilter(filter: Record<string, string> | undefined, lang?: string): SqlFilter | undefined {
  const parts: SqlFilter[] = [];
  const entries = Object.entries(filter ?? {});
  if (lang) entries.push(['lang', lang]);
  for (const [rawKey, value] of entries) {
    const key = rawKey.trim().toLowerCase();
    if (!key) throw new LoomError('USAGE', `filter "${rawKey}=${value}" has no key`, { hint: 'use key=value, e.g. lang=zh, source=guide/**, tag=api' });
    if (key === 'lang' || key === 'language') {
      parts.push(inList('c.lang', list(value)));
    } else if (key === 'source' || key === 'path' || key === 'file') {
      const globs = list(value);
      const pos = globs.filter((g) => !g.startsWith('!'));
      const neg = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
      const conds: string[] = [];
      if (pos.length) conds.push(`(${pos.map(() => 'loom_glob(?, s.name)').join(' OR ')})`);
      for (let i = 0; i < neg.length; i++) conds.push('NOT loom_glob(?, s.name)');
      parts.push({ where: `c.source_id IN (SELECT s.id FROM sources s WHERE ${conds.join(' AND ') || '1'})`, params: [...pos, ...neg] });
    } else if (key === 'tag' || key === 'tags') {
      const tags = list(value);
      parts.push({ where: `c.source_id IN (SELECT source_id FROM source_tags WHERE tag IN (${tags.map(() => '?').join(',')}))`, params: tags });
    } else {
      // json_each over a scalar yields the scalar itself, so one condition covers both shapes
      parts.push({
        where: `c.source_id IN (SELECT s.id FROM sources s WHERE EXISTS (SELECT 1 FROM json_each(s.meta, ?) j WHERE CAST(j.value AS TEXT) IN (${list(value).map(() => '?').join(',')})))`,
        params: [`$."${rawKey.trim().replace(/"/g, '')}"`, ...list(value)],
      });
    }
  }
  if (parts.length === 0) return undefined;
  return { where: parts.map((p) => `(${p.where})`).join(' AND '), params: parts.flatMap((p) => p.params) };
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
