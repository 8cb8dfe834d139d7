import type { Embeddings } from '@langchain/core/embeddings';
import { LoomError } from '../errors.js';
import { retryCall, type RetryPolicy } from '../engine/retry.js';
import { mapProviderError } from '../providers/errors.js';
import { isLocalServer } from '../providers/pricing.js';
import { registerSecret } from '../providers/redact.js';

/** Same shape as EmbedderHandle in embeddings/index.ts (kept structural to avoid an import cycle). */
export interface OpenAIEmbedderHandle {
  id: string;
  dimensions: number;
  embeddings: Embeddings;
  embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface OpenAIEmbedderOptions {
  /** texts per request (default 128) */
  batchSize?: number;
  /** requests in flight at once (default 4) */
  concurrency?: number;
  /** attempts per batch, including the first (default 4) */
  attempts?: number;
  /** first backoff in ms, doubling with full jitter (default 500) */
  backoffMs?: number;
  /** cap of one wait; a Retry-After longer than this gives up at once (default 20 s) */
  maxRetryAfterMs?: number;
}

const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072, 'text-embedding-ada-002': 1536,
};

/**
 * An embedder on any OpenAI-compatible /v1/embeddings (OpenAI, Ollama, vLLM, llama.cpp, LM Studio)
 * through OpenAIEmbeddings. `model` may end in `@DIM` to ask for shorter vectors
 * (text-embedding-3-*). The client never retries (maxRetries 0); we retry each batch ourselves,
 * honouring Retry-After, so a dead server fails in seconds instead of minutes.
 */
export async function createOpenAIEmbedder(
  model: string, env: Record<string, string | undefined> = process.env, options: OpenAIEmbedderOptions = {},
): Promise<OpenAIEmbedderHandle> {
  const [name, dimText] = splitDimensions(model);
  const baseUrl = (env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const apiKey = env.OPENAI_API_KEY || undefined;
  registerSecret(apiKey);
  const label = `openai:${name}`;
  const target = { label, baseUrl, env };
  if (!apiKey && !isLocalServer(baseUrl) && /api\.openai\.com/.test(baseUrl)) {
    throw new LoomError('PROVIDER_AUTH', `embedder ${label}: no API key: OPENAI_API_KEY is not set`, {
      model: label, hint: 'export OPENAI_API_KEY=..., or set OPENAI_BASE_URL to a local server, or use the offline default embedder (local)',
    });
  }
  const [{ OpenAIEmbeddings }, { Embeddings: EmbeddingsBase }, { default: pLimit }] = await Promise.all([
    import('@langchain/openai'), import('@langchain/core/embeddings'), import('p-limit'),
  ]);
  const batchSize = options.batchSize ?? 128;
  const client = new OpenAIEmbeddings({
    model: name, apiKey: apiKey ?? 'no-key', configuration: { baseURL: baseUrl }, maxRetries: 0, batchSize,
    ...(dimText ? { dimensions: dimText } : {}),
  });
  // the engine's retry (engine/retry.ts): one backoff rule for model calls and embeddings
  const policy: RetryPolicy = { attempts: options.attempts ?? 4, baseMs: options.backoffMs ?? 500, maxMs: options.maxRetryAfterMs ?? 20_000 };
  const embedBatch = (batch: string[], signal?: AbortSignal) =>
    retryCall(() => client.embedDocuments(batch), policy, { signal, toError: (error) => mapProviderError(error, target, signal) });

  const limit = pLimit(options.concurrency ?? 4);
  const embedMany = async (texts: string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += batchSize) batches.push(texts.slice(i, i + batchSize));
    const results = await Promise.all(batches.map((b) => limit(() => embedBatch(b, signal))));
    return results.flat().map((v) => Float32Array.from(v));
  };

  const dimensions = dimText ?? KNOWN_DIMENSIONS[name] ?? (await embedMany(['dimension probe']))[0].length;

  class OpenAICompatibleEmbeddings extends EmbeddingsBase {
    constructor() { super({}); }
    async embedDocuments(documents: string[]): Promise<number[][]> { return (await embedMany(documents)).map((v) => Array.from(v)); }
    async embedQuery(document: string): Promise<number[]> { return Array.from((await embedMany([document]))[0]); }
  }
  return { id: `openai:${name}:${dimensions}`, dimensions, embeddings: new OpenAICompatibleEmbeddings(), embedMany };
}

function splitDimensions(model: string): [string, number | undefined] {
  const m = /^(.*)@(\d+)$/.exec(model.trim());
  if (!m) return [model.trim(), undefined];
  return [m[1], Number(m[2])];
}
