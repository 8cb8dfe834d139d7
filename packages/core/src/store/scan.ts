import type { ChunkRow, Scored, StoreBackend } from './backend.js';
import type { Filter } from './filter.js';
import { dot } from './vectors.js';

const BATCH = 1000;

/**
 * Exact top-k over the chunks a predicate accepts (LangChain's function filters): rows are read in
 * id order in batches, so memory stays at one batch plus k. A predicate cannot be compiled to an
 * index query, so this costs a pass over the rows the declarative part of the filter leaves, as
 * LangChain's MemoryVectorStore does; it is exact, not approximate.
 */
export async function predicateSearch(backend: StoreBackend, query: Float32Array, k: number, accept: (row: ChunkRow) => boolean, filter?: Filter): Promise<Scored[]> {
  let top: Scored[] = [];
  for (let after = 0; ;) {
    const rows = await backend.scanChunks(after, BATCH, filter);
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const ids = rows.filter(accept).map((r) => r.id);
    const vectors = await backend.vectors(ids);
    for (const id of ids) {
      const v = vectors.get(id);
      if (v && v.length === query.length) top.push({ id, score: dot(query, v) });
    }
    if (top.length > 4 * k) top = best(top, k);
  }
  return best(top, k);
}

function best(scored: Scored[], k: number): Scored[] {
  return scored.sort((a, b) => b.score - a.score).slice(0, k);
}
