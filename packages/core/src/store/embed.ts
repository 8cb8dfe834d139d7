import { LoomError } from '../errors.js';
import { normalize } from './vectors.js';

/** What the store needs from an embedder (an EmbedderHandle, or a wrapped LangChain Embeddings). */
export interface StoreEmbedder {
  id: string;
  dimensions: number;
  embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  embedQuery?(text: string, signal?: AbortSignal): Promise<Float32Array>;
}

/** A query's vector, normalised (stores rank by inner product = cosine). */
export async function embedQueryWith(embedder: StoreEmbedder, text: string, signal?: AbortSignal): Promise<Float32Array> {
  const v = embedder.embedQuery ? await embedder.embedQuery(text, signal) : (await embedder.embedMany([text], signal))[0];
  return normalize(v);
}

/** Documents' vectors, normalised, refused when the embedder changed its dimension under the store. */
export async function embedManyWith(embedder: StoreEmbedder, texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
  const out = await embedder.embedMany(texts, signal);
  return out.map((v) => {
    if (v.length !== embedder.dimensions) throw new LoomError('STORE_EMBEDDER_MISMATCH', `embedder ${embedder.id} returned ${v.length} dimensions, the store expects ${embedder.dimensions}`);
    return normalize(v);
  });
}
