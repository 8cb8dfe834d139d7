/**
 * Which pages are translations of each other. Docs sites mark them by path (`en/guide/x.md` and
 * `zh/guide/x.md`, `docs/zh-CN/x.md`, `x.zh.md`) or by front matter (`translationOf: en/x.md`);
 * every group of two or more pages with one key is trained as one text (see training.ts).
 */

// A language folder or suffix: ISO 639-1, optionally with a region or script (zh-CN, zh-Hans, pt-BR).
const LANG = /^[a-z]{2}(?:[-_](?:[a-z]{2}|[a-z]{4}))?$/i;
const KNOWN = new Set('en zh ja ko fr de es it pt ru nl sv pl tr vi th id uk cs ar he hi fa'.split(' '));
const isLangTag = (s: string) => LANG.test(s) && KNOWN.has(s.slice(0, 2).toLowerCase());

/** The key shared by a page and its translations, or undefined when its path names no language. */
export function translationKey(source: string, meta?: Record<string, unknown>): string | undefined {
  const of = meta?.translationOf ?? meta?.translation_of;
  if (typeof of === 'string' && of.trim()) return translationKey(of.trim()) ?? `=${of.trim()}`;
  const parts = source.split('/');
  const folder = parts.findIndex((p, i) => i < parts.length - 1 && isLangTag(p));
  if (folder >= 0) return [...parts.slice(0, folder), '*', ...parts.slice(folder + 1)].join('/');
  const suffix = parts[parts.length - 1].match(/^(.+)\.([a-z]{2}(?:[-_][a-z]{2,4})?)(\.[a-z0-9]+)$/i);
  if (suffix && isLangTag(suffix[2])) return [...parts.slice(0, -1), `${suffix[1]}.*${suffix[3]}`].join('/');
  return undefined;
}

/** Groups of sources (two or more) that are translations of each other, by shared key. */
export function translationGroups<T extends { source: string; meta?: Record<string, unknown> }>(pages: T[]): T[][] {
  const byKey = new Map<string, T[]>();
  for (const page of pages) {
    const key = translationKey(page.source, page.meta);
    if (key === undefined) continue;
    const group = byKey.get(key);
    if (group) group.push(page);
    else byKey.set(key, [page]);
  }
  // `translationOf: en/x.md` names the original by path: join its group with the original's
  for (const [key, group] of byKey) {
    if (!key.startsWith('=')) continue;
    const original = pages.find((p) => p.source === key.slice(1));
    const target = original && translationKey(original.source);
    if (target && byKey.has(target)) { byKey.get(target)!.push(...group); byKey.delete(key); }
    else if (original) { group.push(original); }
  }
  return [...byKey.values()].filter((g) => new Set(g.map((p) => p.source)).size > 1);
}
