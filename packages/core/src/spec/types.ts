import type { Diagnostic } from '../errors.js';

/** Settings of one entry of `models:`. */
export interface ModelConfig {
  provider: string; // 'openai' (any OpenAI-compatible server) or a name registered through the library API
  model: string;
  base_url?: string;
  api_key_env?: string; // name of the env var holding the key; the key itself never sits in YAML
  temperature?: number;
  max_tokens?: number;
  context_tokens?: number; // the model's context window, for map-reduce splitting
  [extra: string]: unknown;
}

export interface InputSpec {
  type: 'string' | 'number' | 'boolean' | 'array' | 'object';
  required?: boolean;
  default?: unknown;
  description?: string;
}

export interface RetrySpec {
  attempts: number; // total attempts, including the first
  backoff_ms: number; // first delay; doubles each time, with jitter
  max_backoff_ms?: number;
}

/** One step after normalisation: the single step-kind key becomes `kind` + `params`. */
export interface StepSpec {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  when?: string;
  foreach?: string;
  as?: string; // loop variable name, default 'item'
  concurrency?: number;
  needs?: string[];
  model?: string;
  retry?: RetrySpec;
  timeout_ms?: number;
  description?: string;
}

export interface TestAssertion {
  path?: string; // dotted path into outputs, e.g. 'answer' or 'citations.0.source'
  contains?: string | string[];
  not_contains?: string | string[];
  matches?: string;
  equals?: unknown;
  cites?: string; // a source glob that at least one citation must match
  grounded?: boolean;
  max_tokens?: number;
}

export interface TestCase {
  name: string;
  inputs: Record<string, unknown>;
  assert: TestAssertion[];
  /** run the case only offline (no model configured), only with a model, or either way (default) */
  mode?: 'offline' | 'model' | 'any';
  /** an ErrorCode: the case passes when the run fails with this code */
  expect_error?: string;
}

export interface PipelineSpec {
  version: 1;
  name: string;
  description?: string;
  inputs: Record<string, InputSpec>;
  models: Record<string, ModelConfig>;
  store?: string;
  steps: StepSpec[];
  outputs: Record<string, unknown>;
  tests: TestCase[];
}

/** A pipeline as loaded from a file or text: the spec plus where it came from. */
export interface LoadedPipeline {
  spec: PipelineSpec;
  /** absolute path of the file, when loaded from one */
  file?: string;
  /** directory that relative paths (store, pipeline `use:`) resolve from */
  dir: string;
  source: string;
  /** warnings found while loading (errors throw a LoomError with code SPEC_INVALID) */
  warnings: Diagnostic[];
}
