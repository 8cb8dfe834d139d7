import type { ModelConfig } from '../spec/types.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** true when the server reported no usage and the numbers are our own estimate */
  estimated: boolean;
}

export interface ModelCallRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** ask for a JSON object (response_format json_object where supported) */
  json?: boolean;
  /**
   * the JSON Schema the reply must match: sent as structured outputs (response_format
   * json_schema) where the server takes it, else json_object; implies `json`
   */
  schema?: Record<string, unknown>;
  /**
   * the step's own check of a reply (its JSON Schema, translate's placeholders): only a reply
   * it accepts is stored in the call cache, and a stored reply it rejects is not served
   */
  accept?: (text: string) => boolean;
  /** when given, the call streams and each text delta is passed here as it arrives */
  onToken?: (delta: string) => void;
  signal?: AbortSignal;
  /** false bypasses the call cache for this call */
  cache?: boolean;
}

export interface ModelCallResult {
  text: string;
  usage: TokenUsage;
  /** true when the answer came from the call cache */
  cached: boolean;
  latencyMs: number;
  /** provider:model, e.g. openai:gpt-4o-mini */
  model: string;
  costUsd?: number;
}

/**
 * A configured chat model as the steps see it. One call = one attempt: retries are the
 * engine's job (the step's `retry:`), so implementations must not retry on their own.
 * Failures throw LoomError with a PROVIDER_* code, `retryable` and `retryAfterMs` set.
 */
export interface ModelHandle {
  /** the name under `models:` (e.g. 'default') */
  name: string;
  provider: string;
  model: string;
  config: ModelConfig;
  /** context window in tokens, when known */
  contextTokens?: number;
  call(request: ModelCallRequest): Promise<ModelCallResult>;
  countTokens(text: string): number;
}

/** Called once per model call, for the engine's events and the run ledger. */
export type ModelCallListener = (info: {
  stepId: string;
  result?: ModelCallResult;
  error?: unknown;
}) => void;
