import { parseFilter } from './filter.js';
import type { LoomStore } from './store.js';

/** A stored document as a reader sees it (`loom serve` lists them as MCP resources). */
export interface StoredDocument {
  /** the document's name as hits give it (`source`): its path relative to the ingest root */
  path: string;
  url?: string | null;
  updatedAt?: string | null;
}

/** Every document in the store, by path. */
export async function listDocuments(store: LoomStore): Promise<StoredDocument[]> {
  const rows = await store.backend.sourcesWithKeyPrefix('');
  return rows.map((r) => ({ path: r.name, url: r.url ?? null, updatedAt: r.updatedAt ?? null })).sort((a, b) => a.path.localeCompare(b.path));
}

/** One document's stored text (its chunks in order, each under its heading), or undefined. */
export async function readDocument(store: LoomStore, path: string): Promise<{ path: string; title: string | null; url: string | null; text: string } | undefined> {
  // the source filter takes globs: escape the path so it matches only itself
  const filter = parseFilter({ source: path.replace(/[\\*?[\]{}()!+@|]/g, '\\$&') });
  const chunks = [];
  for (let after = 0; ;) {
    const page = await store.backend.scanChunks(after, 500, filter);
    if (page.length === 0) break;
    chunks.push(...page.filter((c) => c.source === path));
    after = page[page.length - 1].id;
  }
  if (chunks.length === 0) return undefined;
  chunks.sort((a, b) => a.ord - b.ord);
  let heading = '';
  const parts: string[] = [];
  for (const c of chunks) {
    if (c.heading && c.heading !== heading) parts.push(`## ${c.heading}`);
    heading = c.heading;
    parts.push(c.text);
  }
  return { path, title: chunks[0].title, url: chunks[0].url ?? null, text: parts.join('\n\n') };
}
