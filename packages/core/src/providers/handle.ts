import type { ModelConfig } from '../spec/types.js';
import type { ModelCallRequest, ModelCallResult, ModelHandle, TokenUsage } from './types.js';
import { cacheApplies, cacheKey, openCallCache, type CallCache } from './cache.js';
import { mapProviderError } from './errors.js';
import type { RawCall } from './langchain.js';
import { costOf, loadPricesFile, type Price } from './pricing.js';
import { countMessageTokens, countTokens } from './tokens.js';

export interface HandleSpec {
  name: string;
  provider: string;
  model: string;
  config: ModelConfig;
  baseUrl?: string;
  contextTokens?: number;
  env: Record<string, string | undefined>;
  /** where the call cache lives; undefined: no cache */
  storeDir?: string;
  /** RunOptions.cache */
  runCache?: boolean;
  /** sampling settings beyond temperature/max_tokens that change answers (for the cache key) */
  extra?: Record<string, unknown>;
  /** one attempt, errors already LoomErrors */
  invoke(request: ModelCallRequest): Promise<RawCall>;
}

/**
 * Wraps a provider's single-attempt call with what every model gets alike: the call cache,
 * usage (the provider's, else our estimate, marked), latency and cost.
 */
export function createModelHandle(spec: HandleSpec): ModelHandle {
  const label = `${spec.provider}:${spec.model}`;
  const target = { label, baseUrl: spec.baseUrl, env: spec.env };
  let cache: CallCache | undefined | null = null; // null: not opened yet
  const getCache = (): CallCache | undefined => {
    if (cache === null) {
      try {
        cache = spec.storeDir ? openCallCache(spec.storeDir) : undefined;
        loadPricesFile(spec.storeDir);
      } catch {
        // the cache only saves money; a store we cannot write must not fail the call
        cache = undefined;
      }
    }
    return cache;
  };
  const ownPrice = priceSetting(spec.config.price);

  return {
    name: spec.name,
    provider: spec.provider,
    model: spec.model,
    config: spec.config,
    contextTokens: spec.contextTokens,
    countTokens: (text) => countTokens(text, spec.model),
    async call(request: ModelCallRequest): Promise<ModelCallResult> {
      const t0 = performance.now();
      if (request.signal?.aborted) throw mapProviderError(request.signal.reason, target, request.signal);
      const temperature = request.temperature ?? spec.config.temperature;
      const useCache = spec.storeDir !== undefined && cacheApplies(temperature, spec.runCache, request.cache);
      const key = useCache
        ? cacheKey({
            provider: spec.provider, model: spec.model, baseUrl: spec.baseUrl, temperature,
            maxTokens: request.maxTokens ?? spec.config.max_tokens, json: request.json || request.schema !== undefined,
            schema: request.schema, messages: request.messages, extra: spec.extra,
          })
        : '';
      const store = useCache ? getCache() : undefined;
      const hit = store ? safe(() => store.get(key)) : undefined;
      // a reply the step would reject is never replayed, even if an older version stored it
      if (hit && (!request.accept || request.accept(hit.text))) {
        request.onToken?.(hit.text);
        // nothing reached a server: no tokens used, nothing paid
        const usage = { promptTokens: 0, completionTokens: 0, estimated: false };
        return { text: hit.text, usage, cached: true, latencyMs: performance.now() - t0, model: label, costUsd: 0 };
      }
      const raw = await spec.invoke(request);
      const usage: TokenUsage = raw.usage
        ? { ...raw.usage, estimated: false }
        : { promptTokens: countMessageTokens(request.messages, spec.model), completionTokens: countTokens(raw.text, spec.model), estimated: true };
      // only replies that pass the step's checks are cached: a bad one must not be replayed by every retry
      if (store && (!request.accept || request.accept(raw.text))) safe(() => store.set(key, label, { text: raw.text, usage }));
      const costUsd = costOf(spec.model, spec.baseUrl, usage.promptTokens, usage.completionTokens, ownPrice);
      return { text: raw.text, usage, cached: false, latencyMs: performance.now() - t0, model: label, costUsd };
    },
  };
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function priceSetting(value: unknown): Price | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { input, output } = value as { input?: unknown; output?: unknown };
  return typeof input === 'number' ? { input, output: typeof output === 'number' ? output : 0 } : undefined;
}
