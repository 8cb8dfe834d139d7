import { basename } from 'node:path';
import type { Hit } from '../store/types.js';
import type { BeirDataset } from './beir.js';

export interface BeirIngestOptions {
  dataset: BeirDataset;
  store: string;
  embedder?: string;
  onProgress?: (p: { phase: string; done: number; total: number; file?: string }) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * Ingests corpus.jsonl as it is: the store reads each record's `_id`, `title` and `text` and names
 * the document `corpus.jsonl#<_id>`; `pageOf` maps a hit back to the BEIR document id, which is
 * what the qrels judge. Incremental like any ingest: a second run over the same store embeds nothing.
 */
export async function ingestBeirCorpus(options: BeirIngestOptions): Promise<{ pageOf: (hit: Hit) => string; chunks: number; seconds: number; embedded: number }> {
  const { ingest } = await import('../ingest/index.js');
  const summary = await ingest({
    paths: [options.dataset.paths.corpus], store: options.store, embedder: options.embedder,
    onProgress: options.onProgress, onWarning: options.onWarning, signal: options.signal,
  });
  const prefix = `${basename(options.dataset.paths.corpus)}#`;
  const pageOf = (hit: Hit) => (hit.source.startsWith(prefix) ? hit.source.slice(prefix.length) : hit.source);
  return { pageOf, chunks: summary.chunks, seconds: summary.seconds, embedded: summary.embedded };
}
