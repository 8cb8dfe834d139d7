import { isLoomError, LoomError } from '../errors.js';
import type { ModelConfig } from '../spec/types.js';
import type { ModelCallRequest, ModelHandle } from './types.js';
import { createModelHandle } from './handle.js';
import { callChatModel, type ChatModelLike } from './langchain.js';
import { isLocalServer } from './pricing.js';
import { registerSecret } from './redact.js';

export interface OpenAIHandleOptions {
  env: Record<string, string | undefined>;
  storeDir?: string;
  runCache?: boolean;
  /** base_url was written in the pipeline file (not given by the user or the calling code) */
  baseUrlFromFile?: boolean;
}

const OPENAI_URL = 'https://api.openai.com/v1';

// Context windows of common models, for map-reduce splitting when `context_tokens` is not set.
const CONTEXT: [RegExp, number][] = [
  [/^gpt-4\.1/, 1_047_576], [/^gpt-5/, 400_000], [/^(o1|o3|o4)/, 200_000], [/^gpt-4o|^gpt-4-turbo|^chatgpt-4o/, 128_000],
  [/^gpt-3\.5-turbo/, 16_385], [/^gpt-4\b/, 8_192],
];

/** The settings a model entry passes straight to the API (they also key the cache). */
const PASS_THROUGH = ['top_p', 'frequency_penalty', 'presence_penalty', 'seed', 'stop'] as const;

/** Where the key and server come from: `models:` first, then OPENAI_BASE_URL / OPENAI_API_KEY. */
export function openAIConnection(config: ModelConfig, env: Record<string, string | undefined>): { baseUrl: string; apiKey: string | undefined; keyEnv: string } {
  const baseUrl = (config.base_url ?? env.OPENAI_BASE_URL ?? OPENAI_URL).replace(/\/+$/, '');
  const keyEnv = config.api_key_env ?? 'OPENAI_API_KEY';
  return { baseUrl, apiKey: env[keyEnv] || undefined, keyEnv };
}

/**
 * A ModelHandle on any OpenAI-compatible server through @langchain/openai's ChatOpenAI. The
 * client is imported on the first call, not before (it costs ~0.5 s), and makes exactly one
 * attempt: maxRetries 0, because the step's `retry:` governs.
 */
export function createOpenAIHandle(name: string, config: ModelConfig, options: OpenAIHandleOptions): ModelHandle {
  const { baseUrl, apiKey, keyEnv } = openAIConnection(config, options.env);
  registerSecret(apiKey);
  if (apiKey && options.baseUrlFromFile) checkKeyHost(name, baseUrl, keyEnv, options.env, `openai:${config.model}`);
  const label = `openai:${config.model}`;
  const target = { label, baseUrl, env: options.env };
  const extra: Record<string, unknown> = {};
  for (const k of PASS_THROUGH) if (config[k] !== undefined) extra[k] = config[k];
  const clients = new Map<string, ChatModelLike>();
  const format = jsonFormatChoice(config);

  const client = async (request: ModelCallRequest): Promise<ChatModelLike> => {
    const temperature = request.temperature ?? config.temperature;
    const maxTokens = request.maxTokens ?? config.max_tokens;
    const id = `${temperature}|${maxTokens}`;
    let model = clients.get(id);
    if (!model) {
      if (!apiKey && !isLocalOrCustom(config, options.env)) {
        throw new LoomError('PROVIDER_AUTH', `model ${label}: no API key: ${keyEnv} is not set`, {
          model: label, retryable: false,
          hint: `export ${keyEnv}=... or point base_url / OPENAI_BASE_URL at a local server (e.g. http://127.0.0.1:11434/v1 for Ollama)`,
        });
      }
      const { ChatOpenAI } = await import('@langchain/openai');
      model = new ChatOpenAI({
        model: config.model,
        // local servers accept any key, but the SDK refuses to start without one
        apiKey: apiKey ?? 'no-key',
        configuration: { baseURL: baseUrl },
        maxRetries: 0,
        useResponsesApi: false,
        streamUsage: config.stream_usage !== false,
        ...(temperature !== undefined ? { temperature } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
        ...(extra.top_p !== undefined ? { topP: extra.top_p as number } : {}),
        ...(extra.frequency_penalty !== undefined ? { frequencyPenalty: extra.frequency_penalty as number } : {}),
        ...(extra.presence_penalty !== undefined ? { presencePenalty: extra.presence_penalty as number } : {}),
        ...(extra.stop !== undefined ? { stop: ([] as string[]).concat(extra.stop as string) } : {}),
        ...(extra.seed !== undefined ? { modelKwargs: { seed: extra.seed } } : {}),
      }) as unknown as ChatModelLike;
      clients.set(id, model);
    }
    return model;
  };

  return createModelHandle({
    name, provider: 'openai', model: config.model, config, baseUrl,
    contextTokens: config.context_tokens ?? contextOf(config.model),
    env: options.env, storeDir: options.storeDir, runCache: options.runCache, extra,
    invoke: async (request) => {
      const model = await client(request);
      if (request.schema && format.useSchema()) {
        try {
          return await callChatModel(model, request, target, { callOptions: { response_format: jsonSchemaFormat(request.schema) }, requireFinish: true });
        } catch (error) {
          if (!format.refused(error)) throw error;
        }
      }
      const callOptions = request.json || request.schema ? { response_format: { type: 'json_object' } } : {};
      return callChatModel(model, request, target, { callOptions, requireFinish: true });
    },
  });
}

/**
 * Structured outputs (response_format json_schema) when a request has a schema: the server then
 * holds the model to it. `response_format: json_object` on the model entry skips it; `json_schema`
 * insists on it. Otherwise a server that refuses json_schema (a 400 naming it) is asked with
 * json_object, whose prompt already carries the schema as instructions, from then on.
 */
function jsonFormatChoice(config: ModelConfig): { useSchema(): boolean; refused(error: unknown): boolean } {
  const setting = config.response_format;
  let refusedBefore = setting === 'json_object';
  return {
    useSchema: () => !refusedBefore,
    refused(error) {
      if (setting === 'json_schema' || !isLoomError(error) || error.code !== 'PROVIDER_BAD_REQUEST') return false;
      if (!/response_format|json_schema|structured/i.test(error.message)) return false;
      refusedBefore = true;
      return true;
    },
  };
}

function jsonSchemaFormat(schema: Record<string, unknown>): Record<string, unknown> {
  // strict: false: strict mode demands every property required and no extra keys, which user schemas rarely say
  return { type: 'json_schema', json_schema: { name: 'reply', schema, strict: false } };
}

/** Hosts that may always receive a key: this machine, OpenAI itself. */
const KEY_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', 'api.openai.com']);

/**
 * A pipeline file (a shared recipe, a file from the internet) must not send a key from your
 * environment to a server of its choosing: `base_url: https://attacker/v1` with
 * `api_key_env: AWS_SECRET_ACCESS_KEY` would deliver that secret in the Authorization header.
 * A key goes to a base_url from a file only when that host is this machine, OpenAI, the host of
 * OPENAI_BASE_URL, or listed in LOOM_TRUSTED_HOSTS.
 */
export function checkKeyHost(name: string, baseUrl: string, keyEnv: string, env: Record<string, string | undefined>, label: string): void {
  const host = hostOf(baseUrl);
  if (host === undefined) return; // an invalid URL fails on the first call with its own message
  const allowed = new Set(KEY_HOSTS);
  const userUrl = env.OPENAI_BASE_URL ? hostOf(env.OPENAI_BASE_URL) : undefined;
  if (userUrl) allowed.add(userUrl);
  for (const h of (env.LOOM_TRUSTED_HOSTS ?? '').split(/[\s,]+/)) if (h) allowed.add(h.toLowerCase());
  if (allowed.has(host) || /^127\./.test(host)) return;
  throw new LoomError('CONFIG_INVALID', `models.${name}: the pipeline file would send the key in ${keyEnv} to ${host}, a server it names itself`, {
    model: label, retryable: false,
    hint: `keys from your environment go only to this machine, api.openai.com, the host of OPENAI_BASE_URL, or hosts listed in LOOM_TRUSTED_HOSTS; if you trust this pipeline and ${host}: export LOOM_TRUSTED_HOSTS=${host}`,
  });
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function isLocalOrCustom(config: ModelConfig, env: Record<string, string | undefined>): boolean {
  const url = config.base_url ?? env.OPENAI_BASE_URL;
  return url !== undefined && (isLocalServer(url) || !/api\.openai\.com/.test(url));
}

function contextOf(model: string): number | undefined {
  return CONTEXT.find(([re]) => re.test(model))?.[1];
}
