import { z } from 'zod';

/**
 * The zod source of truth of the pipeline language. The validator maps zod issues to
 * positioned diagnostics; spec/json-schema.ts turns the same schemas into the JSON Schema
 * that editors use. Step kinds are not listed here: a step is the common fields below plus
 * exactly one kind key, checked against that kind's own schema (steps/params.ts or defineStep).
 */

export const ID_PATTERN = /^[a-z_][a-z0-9_]*$/;
export const NAME_PATTERN = /^[a-z0-9-]+$/;
/** Keys that could reach Object.prototype through a careless merge; refused anywhere. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Names a loop variable may not take: template roots, and `loop` (the engine's per-item index/first/last/length). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['inputs', 'steps', 'forloop', 'loop', 'run']);
/** Set by the engine inside a foreach step's parameters, beside the loop variable. */
export const LOOP_INFO_NAME = 'loop';

export const MAX_TIMEOUT_MS = 86_400_000;
export const MAX_CONCURRENCY = 1000;
export const MAX_ATTEMPTS = 20;

const templateString = z.string().describe('a template such as "{{ steps.hits.hits }}"');

export const inputSpecSchema = z.strictObject({
  type: z.enum(['string', 'number', 'boolean', 'array', 'object']).default('string'),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  description: z.string().optional(),
});

export const modelConfigSchema = z.looseObject({
  provider: z.string().min(1).default('openai').describe("'openai' for any OpenAI-compatible server"),
  model: z.string().min(1).describe('model name on the server, e.g. gpt-4o-mini or llama3.1'),
  base_url: z.string().optional().describe('e.g. http://127.0.0.1:11434/v1; default OPENAI_BASE_URL'),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional()
    .describe('name of the environment variable holding the key (never the key itself)'),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.int().min(1).optional(),
  context_tokens: z.int().min(1).optional(),
  response_format: z
    .enum(['json_schema', 'json_object'])
    .optional()
    .describe('how steps with a schema ask for JSON: json_schema (structured outputs, the default, falling back to json_object when the server refuses it) or json_object'),
});

export const retrySchema = z.strictObject({
  attempts: z.int().min(1).max(MAX_ATTEMPTS).describe('total attempts, including the first'),
  backoff_ms: z.int().min(0).max(600_000).default(500).describe('first delay; doubles each time, with jitter'),
  max_backoff_ms: z.int().min(0).max(3_600_000).optional(),
});

/** The fields every step may have besides its one kind key. */
export const stepCommonShape = {
  id: z.string().regex(ID_PATTERN).describe('unique step id, [a-z_][a-z0-9_]*'),
  description: z.string().optional(),
  when: templateString.optional().describe('run only when this condition holds'),
  foreach: templateString.optional().describe('run once per item of this list; the output is an array'),
  as: z.string().regex(ID_PATTERN).optional().describe("name of the loop variable, default 'item'"),
  concurrency: z.int().min(1).max(MAX_CONCURRENCY).optional().describe('foreach items running at once'),
  needs: z.union([z.string(), z.array(z.string())]).optional().describe('steps that must finish first'),
  model: z.string().min(1).optional().describe('which entry of models:'),
  retry: retrySchema.optional(),
  timeout_ms: z.int().min(1).max(MAX_TIMEOUT_MS).optional(),
};
export const STEP_COMMON_KEYS: readonly string[] = Object.keys(stepCommonShape);
export const stepCommonSchema = z.object(stepCommonShape);

export const testAssertionSchema = z
  .strictObject({
    path: z.string().optional().describe("dotted path into outputs, e.g. 'answer' or 'citations.0.source'"),
    contains: z.union([z.string(), z.array(z.string())]).optional(),
    not_contains: z.union([z.string(), z.array(z.string())]).optional(),
    matches: z.string().optional().describe('a regular expression'),
    equals: z.unknown().optional(),
    cites: z.string().optional().describe('a source glob that at least one citation must match'),
    grounded: z.boolean().optional(),
    max_tokens: z.int().min(1).optional(),
  })
  .refine((a) => Object.keys(a).some((k) => k !== 'path'), { message: 'an assertion needs a check besides path' });

export const testCaseSchema = z
  .strictObject({
    name: z.string().min(1),
    inputs: z.record(z.string(), z.unknown()).default({}),
    assert: z.array(testAssertionSchema).min(1).optional(),
    mode: z.enum(['offline', 'model', 'any']).optional().describe('run only offline (no model configured), only with a model, or either way (default)'),
    expect_error: z.string().regex(/^[A-Z][A-Z_]*$/).optional().describe('an error code such as PROVIDER_NOT_CONFIGURED: the case passes when the run fails with it'),
  })
  .refine((t) => t.assert !== undefined || t.expect_error !== undefined, { message: 'a test case needs assert: (a list of checks) or expect_error: (an error code)' });

/** Top level; `steps` items are checked one by one (common fields + kind key). */
export const pipelineShape = {
  version: z.literal(1).describe('language version, always 1'),
  name: z.string().regex(NAME_PATTERN).describe('pipeline name, [a-z0-9-]+'),
  description: z.string().optional(),
  inputs: z.record(z.string(), inputSpecSchema).optional(),
  models: z.record(z.string(), modelConfigSchema).optional(),
  store: z.string().min(1).optional().describe('default store directory for retrieve steps'),
  steps: z.array(z.record(z.string(), z.unknown())).min(1),
  outputs: z.record(z.string(), z.unknown()).optional(),
  tests: z.array(testCaseSchema).optional(),
};
export const TOP_LEVEL_KEYS: readonly string[] = Object.keys(pipelineShape);
export const pipelineTopSchema = z.strictObject(pipelineShape);
