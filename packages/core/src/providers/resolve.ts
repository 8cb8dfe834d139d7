import { LoomError } from '../errors.js';
import { locateStore, storeExists, type StoreLocation } from '../locate/store.js';
import type { RunOptions } from '../engine/types.js';
import type { LoadedPipeline, ModelConfig } from '../spec/types.js';
import type { ModelHandle } from './types.js';
import { createModelHandle } from './handle.js';
import { callChatModel, isChatModelLike } from './langchain.js';

// This module stays light: @langchain/openai is imported by openai.ts on a model's first call,
// and openai.ts itself only when an `openai` model is resolved.

/** Shorthands for OpenAI-compatible servers on this machine, with their usual ports. */
export const LOCAL_SERVERS: Record<string, string> = {
  ollama: 'http://127.0.0.1:11434/v1',
  lmstudio: 'http://127.0.0.1:1234/v1',
  vllm: 'http://127.0.0.1:8000/v1',
  llamacpp: 'http://127.0.0.1:8080/v1',
};

/**
 * Parses `--model PROVIDER:NAME` / LOOM_MODEL. `openai:gpt-4o-mini` talks to OPENAI_BASE_URL (or
 * OpenAI); `ollama:qwen2.5:7b`, `lmstudio:…`, `vllm:…`, `llamacpp:…` are openai with that
 * server's usual local URL. A bare name means openai. The model name may itself contain ':'.
 */
export function parseModelFlag(value: string): ModelConfig {
  const text = value.trim();
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? 'openai' : text.slice(0, colon).toLowerCase();
  const name = colon < 0 ? text : text.slice(colon + 1).trim();
  const providers = ['openai', ...Object.keys(LOCAL_SERVERS)];
  if (!providers.includes(prefix)) {
    throw new LoomError('CONFIG_INVALID', `--model "${value}": unknown provider "${prefix}"`, {
      hint: `use PROVIDER:NAME with one of ${providers.join(', ')}; for a model named "${text}" on an OpenAI-compatible server: --model openai:${text}`,
    });
  }
  if (!name) {
    throw new LoomError('CONFIG_INVALID', `--model "${value}": the model name is missing`, { hint: 'e.g. --model openai:gpt-4o-mini or --model ollama:llama3.1' });
  }
  const config: ModelConfig = { provider: 'openai', model: name };
  if (prefix in LOCAL_SERVERS) config.base_url = LOCAL_SERVERS[prefix];
  return config;
}

// Settings that say which server and model; a run-time override replaces them together,
// so `--model` never talks to the pipeline's server with another model's name.
const CONNECTION_KEYS = ['provider', 'model', 'base_url', 'api_key_env', 'context_tokens', 'price'];

/**
 * The effective `models:` for a run: the pipeline's, overlaid with RunOptions.models (and
 * LOOM_MODEL for `default` when no override for it was given). An override keeps the pipeline
 * entry's sampling settings (temperature, max_tokens) and replaces where it connects.
 * Models passed as LangChain chat models count as configured. {} means offline.
 */
export function effectiveModels(pipeline: LoadedPipeline, options: RunOptions): Record<string, ModelConfig> {
  const env = options.env ?? process.env;
  const out: Record<string, ModelConfig> = { ...pipeline.spec.models };
  const overrides: Record<string, ModelConfig> = { ...options.models };
  if (!overrides.default && env.LOOM_MODEL?.trim()) overrides.default = parseModelFlag(env.LOOM_MODEL);
  for (const [name, override] of Object.entries(overrides)) {
    const base = out[name] ?? {};
    const kept = Object.fromEntries(Object.entries(base).filter(([k]) => !CONNECTION_KEYS.includes(k)));
    out[name] = { ...kept, ...definedOnly(override) } as ModelConfig;
  }
  for (const [name, model] of Object.entries(options.chatModels ?? {})) {
    if (!out[name] && model) out[name] = { provider: 'langchain', model: chatModelName(model) };
  }
  return out;
}

function definedOnly(config: ModelConfig): ModelConfig {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as ModelConfig;
}

const handles = new WeakMap<RunOptions, Map<string, Promise<ModelHandle>>>();

/**
 * The handle for `models.<name>` (the step's `model:`, else 'default'), or undefined when no
 * such model is configured and the step did not name one: offline defaults run. Handles are
 * shared within a run (keyed by the RunOptions object).
 */
export async function resolveModel(name: string | undefined, pipeline: LoadedPipeline, options: RunOptions, run: RunContext = {}): Promise<ModelHandle | undefined> {
  const models = effectiveModels(pipeline, options);
  const key = name ?? 'default';
  const config = models[key];
  if (!config) {
    if (name === undefined) return undefined;
    const configured = Object.keys(models);
    throw new LoomError('CONFIG_INVALID', `step uses model "${name}", which is not under models:${configured.length ? ` (configured: ${configured.join(', ')})` : ''}`, {
      file: pipeline.file,
      hint: configured.length ? `use one of: ${configured.join(', ')}` : `add models: { ${name}: { provider: openai, model: gpt-4o-mini } }, or run with --model openai:NAME`,
    });
  }
  let perRun = handles.get(options);
  if (!perRun) handles.set(options, (perRun = new Map()));
  let handle = perRun.get(key);
  if (!handle) {
    handle = createHandle(key, config, pipeline, options, run);
    perRun.set(key, handle);
    handle.catch(() => perRun!.delete(key));
  }
  return handle;
}

/** What the running engine knows beyond the options: the store it resolved for the run. */
export interface RunContext {
  store?: StoreLocation;
}

async function createHandle(name: string, config: ModelConfig, pipeline: LoadedPipeline, options: RunOptions, run: RunContext): Promise<ModelHandle> {
  const env = options.env ?? process.env;
  const storeDir = cacheDirFor(pipeline, options, run.store);
  const chatModel = options.chatModels?.[name];
  if (chatModel !== undefined) {
    if (!isChatModelLike(chatModel)) {
      throw new LoomError('CONFIG_INVALID', `chatModels.${name} is not a LangChain chat model (it has no invoke method)`);
    }
    const model = chatModelName(chatModel);
    const label = `langchain:${model}`;
    return createModelHandle({
      name, provider: 'langchain', model, config: { ...config, provider: 'langchain', model }, env, storeDir, runCache: options.cache,
      invoke: (request) => callChatModel(chatModel, request, { label, env }),
    });
  }
  if (config.provider !== 'openai') {
    throw new LoomError('CONFIG_INVALID', `models.${name}: unknown provider "${config.provider}"`, {
      file: pipeline.file,
      hint: 'use provider: openai with base_url for any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio), or pass a LangChain chat model through RunOptions.chatModels',
    });
  }
  if (!config.model) throw new LoomError('CONFIG_INVALID', `models.${name}: "model" is required`, { file: pipeline.file });
  const { createOpenAIHandle } = await import('./openai.js');
  // a base_url the pipeline file wrote itself (no override from the user or the calling code)
  const fromFile = config.base_url !== undefined && pipeline.spec.models[name]?.base_url === config.base_url
    && options.models?.[name]?.base_url === undefined;
  return createOpenAIHandle(name, config, { env, storeDir, runCache: options.cache, baseUrlFromFile: fromFile });
}

function chatModelName(model: unknown): string {
  const m = model as { model?: unknown; modelName?: unknown; _llmType?: () => string };
  if (typeof m.model === 'string') return m.model;
  if (typeof m.modelName === 'string') return m.modelName;
  try {
    if (typeof m._llmType === 'function') return m._llmType();
  } catch { /* a model without a type name */ }
  return (model as object)?.constructor?.name ?? 'chat-model';
}

/**
 * Where the call cache lives: in the run's store (locate/store.ts), when that is a folder that
 * exists. A run never creates a store: a library user who never made one gets no files written
 * behind their back.
 */
export function cacheDirFor(pipeline: LoadedPipeline, options: RunOptions, store?: StoreLocation): string | undefined {
  const loc = store ?? locateStore({ flag: options.store, pipeline, env: options.env ?? process.env });
  return loc.kind === 'dir' && storeExists(loc) ? loc.location : undefined;
}
