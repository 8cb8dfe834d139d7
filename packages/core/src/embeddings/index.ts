/**
 * Embedder selection from a spec string: 'local' (default), 'local:768', 'openai:<model>',
 * 'transformers:<model id or directory>'. Every embedder is a LangChain `Embeddings`, wrapped
 * with the id the store records (a store refuses to open with a different one).
 */
import type { Embeddings } from '@langchain/core/embeddings';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LoomError } from '../errors.js';
import { LocalEmbeddings } from './local.js';

export interface EmbedderHandle {
  /** fingerprint stored in the store, e.g. 'local:hash-v1:512', 'openai:text-embedding-3-small:1536' */
  id: string;
  dimensions: number;
  embeddings: Embeddings;
  embedMany(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

const SPEC_HELP = "use 'local' (default), 'local:<dims>', 'openai:<model>' or 'transformers:<model id or directory>'";
// the local embedder is synchronous: yield to the event loop between slices so progress bars
// redraw and an AbortSignal is seen during a long ingest
const LOCAL_SLICE = 256;

function abortError(signal: AbortSignal): LoomError {
  return new LoomError('RUN_ABORTED', 'embedding aborted', { cause: signal.reason });
}

/** An EmbedderHandle around the offline feature-hashing embedder. */
export function localEmbedder(dimensions?: number): EmbedderHandle {
  const embeddings = new LocalEmbeddings({ dimensions });
  return {
    id: embeddings.id,
    dimensions: embeddings.dimensions,
    embeddings,
    async embedMany(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i++) {
        if (i > 0 && i % LOCAL_SLICE === 0) await new Promise((r) => setImmediate(r));
        if (signal?.aborted) throw abortError(signal);
        out.push(embeddings.embedSync(texts[i]));
      }
      return out;
    },
  };
}

function parseLocal(arg: string): EmbedderHandle {
  if (arg === '') return localEmbedder();
  const dims = Number(arg);
  if (!/^\d+$/.test(arg) || dims < 16 || dims > 8192) {
    throw new LoomError('CONFIG_INVALID', `embedder 'local:${arg}': the dimension must be a whole number from 16 to 8192`, { hint: SPEC_HELP });
  }
  return localEmbedder(dims);
}

/**
 * The embedder for `spec` (undefined or '' means 'local'). openai and transformers are imported
 * only when asked for. `env` supplies OPENAI_BASE_URL / OPENAI_API_KEY (default process.env).
 */
export async function createEmbedder(spec: string | undefined, env: Record<string, string | undefined> = process.env): Promise<EmbedderHandle> {
  const value = (spec ?? '').trim();
  if (value === '' || value === 'local') return localEmbedder();
  const colon = value.indexOf(':');
  const kind = colon === -1 ? value : value.slice(0, colon);
  const arg = colon === -1 ? '' : value.slice(colon + 1).trim();
  switch (kind) {
    case 'local':
      return parseLocal(arg);
    case 'openai': {
      if (!arg) throw new LoomError('CONFIG_INVALID', "embedder 'openai' needs a model name, e.g. openai:text-embedding-3-small", { hint: SPEC_HELP });
      const { createOpenAIEmbedder } = await import('./openai.js');
      return createOpenAIEmbedder(arg, env);
    }
    case 'transformers':
      if (!arg) throw new LoomError('CONFIG_INVALID', "embedder 'transformers' needs a model directory or id, e.g. transformers:./models/multilingual-e5-small", { hint: SPEC_HELP });
      return createTransformersEmbedder(arg);
    default:
      throw new LoomError('CONFIG_INVALID', `unknown embedder '${value}'`, { hint: SPEC_HELP });
  }
}

interface FeatureExtractor {
  (texts: string[], options: { pooling: 'mean'; normalize: boolean }): Promise<{ data: Float32Array; dims: number[] }>;
}
interface TransformersModule {
  pipeline(task: 'feature-extraction', model: string, options?: Record<string, unknown>): Promise<FeatureExtractor>;
  env: { localModelPath: string; allowRemoteModels: boolean };
}

async function importTransformers(): Promise<TransformersModule> {
  // a variable specifier: the package is optional and not a dependency of @promptloom/core
  const specifier = '@huggingface/transformers';
  try {
    return (await import(specifier)) as TransformersModule;
  } catch (error) {
    throw new LoomError('CONFIG_INVALID', "embedder 'transformers' needs the optional package @huggingface/transformers, which is not installed", {
      cause: error,
      hint: 'run `pnpm add @huggingface/transformers` and pass a local model directory (transformers:./models/<name>), or use the offline default embedder (local)',
    });
  }
}

async function createTransformersEmbedder(model: string): Promise<EmbedderHandle> {
  const lib = await importTransformers();
  let modelId = model;
  const dir = resolve(model);
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    // a directory: load only from disk, never reach for the network
    lib.env.localModelPath = dirname(dir);
    lib.env.allowRemoteModels = false;
    modelId = basename(dir);
  }
  let extractor: FeatureExtractor;
  try {
    extractor = await lib.pipeline('feature-extraction', modelId);
  } catch (error) {
    throw new LoomError('CONFIG_INVALID', `embedder 'transformers:${model}': could not load the model: ${(error as Error).message}`, {
      cause: error, hint: 'pass a directory holding the model files (config.json, tokenizer.json, onnx/model.onnx)',
    });
  }
  const embedMany = async (texts: string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 32) {
      if (signal?.aborted) throw abortError(signal);
      const result = await extractor(texts.slice(i, i + 32), { pooling: 'mean', normalize: true });
      const width = result.dims[result.dims.length - 1];
      for (let row = 0; row * width < result.data.length; row++) out.push(result.data.slice(row * width, (row + 1) * width));
    }
    return out;
  };
  const dimensions = (await embedMany(['dimension probe']))[0].length;
  const { Embeddings: EmbeddingsBase } = await import('@langchain/core/embeddings');
  class TransformersEmbeddings extends EmbeddingsBase {
    constructor() { super({}); }
    async embedDocuments(documents: string[]): Promise<number[][]> { return (await embedMany(documents)).map((v) => Array.from(v)); }
    async embedQuery(document: string): Promise<number[]> { return Array.from((await embedMany([document]))[0]); }
  }
  return { id: `transformers:${modelId}:${dimensions}`, dimensions, embeddings: new TransformersEmbeddings(), embedMany };
}

export { LocalEmbeddings } from './local.js';
