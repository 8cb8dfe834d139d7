import { retrieveParams, type RetrieveParams } from './params.js';
import { defineStep } from './registry.js';
import type { DocumentStore, Hit, RetrieveOutput } from '../store/types.js';

/*
 * retrieve: the store's own search (store/search.ts), the same code as `loom search`.
 * The store comes from the step's `store` parameter, else the pipeline's `store:`, else the
 * run's default (ctx.openStore resolves and caches it for the run).
 */

/** Hits numbered for a prompt: `[n] (source › heading)` then the passage, blank line between. */
export function formatHits(hits: Hit[]): string {
  return hits
    .map((h, i) => `[${i + 1}] (${h.heading ? `${h.source} › ${h.heading}` : h.source})\n${h.text.trim()}`)
    .join('\n\n');
}

export const retrieveStep = defineStep<RetrieveParams, RetrieveOutput>({
  kind: 'retrieve',
  description: 'search the document store',
  params: retrieveParams,
  outputs: ['hits', 'text'],
  callsModel: false,
  maxCalls: () => 0,
  async run(params, ctx) {
    const store = (await ctx.openStore(params.store)) as DocumentStore;
    const hits = await store.search(params.query, {
      k: params.k,
      mode: params.mode,
      lang: params.lang,
      filter: params.filter,
      mmr: params.mmr,
      minScore: params.min_score,
      signal: ctx.signal,
    });
    if (hits.length === 0) ctx.warn(`no passages found for "${params.query.slice(0, 80)}"`);
    return { hits, text: formatHits(hits) };
  },
});
