import type { z } from 'zod';
import type { Diagnostic } from '../errors.js';
import type { inputSpecSchema, modelConfigSchema, retrySchema, testAssertionSchema, testCaseSchema } from './schema.js';

/*
 * The spec's shapes come from the zod schemas in schema.ts (types from z.output, defaults in
 * the schema); only what normalisation builds (StepSpec, PipelineSpec) is written out here.
 */

/** Settings of one entry of `models:`: the schema's output (provider defaults to 'openai'). */
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** One entry of `inputs:` (type defaults to 'string'). */
export type InputSpec = z.output<typeof inputSpecSchema>;

/** A step's `retry:` (backoff_ms defaults to 500). */
export type RetrySpec = z.output<typeof retrySchema>;

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

export type TestAssertion = z.output<typeof testAssertionSchema>;

/** A test case; `assert` is [] when the case only names `expect_error`. */
export type TestCase = Omit<z.output<typeof testCaseSchema>, 'assert'> & { assert: TestAssertion[] };

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
