import type { InputSpec, ModelConfig, PipelineSpec, RetrySpec, StepSpec, TestCase } from './types.js';
import { STEP_COMMON_KEYS } from './schema.js';
import { isPlainObject } from './context.js';

type Obj = Record<string, unknown>;

/**
 * The checked document as a PipelineSpec: the one kind key becomes kind + params, and
 * optional sections get their defaults. Parameters stay as written (templates unrendered);
 * the engine renders them and parses them with the kind's schema, which fills param defaults.
 * Only called when the checks found no errors, so the shapes are known to be right.
 */
export function normalizePipeline(doc: Obj): PipelineSpec {
  const spec: PipelineSpec = {
    version: 1,
    name: doc.name as string,
    inputs: mapValues(doc.inputs, normalizeInput),
    models: mapValues(doc.models, (m) => ({ ...m, provider: typeof m.provider === 'string' ? m.provider : 'openai' }) as ModelConfig),
    steps: (doc.steps as Obj[]).map(normalizeStep),
    outputs: isPlainObject(doc.outputs) ? doc.outputs : {},
    tests: Array.isArray(doc.tests) ? (doc.tests as Obj[]).map(normalizeTest) : [],
  };
  if (typeof doc.description === 'string') spec.description = doc.description;
  if (typeof doc.store === 'string') spec.store = doc.store;
  return spec;
}

function mapValues<T>(value: unknown, fn: (v: Obj) => T): Record<string, T> {
  const out: Record<string, T> = {};
  if (!isPlainObject(value)) return out;
  for (const [k, v] of Object.entries(value)) out[k] = fn(isPlainObject(v) ? v : {});
  return out;
}

function normalizeInput(raw: Obj): InputSpec {
  const input: InputSpec = { type: (raw.type as InputSpec['type']) ?? 'string' };
  if (raw.required !== undefined) input.required = raw.required as boolean;
  if (raw.default !== undefined) input.default = raw.default;
  if (raw.description !== undefined) input.description = raw.description as string;
  return input;
}

function normalizeStep(raw: Obj): StepSpec {
  const kind = Object.keys(raw).find((k) => !STEP_COMMON_KEYS.includes(k)) as string;
  const params = raw[kind];
  const step: StepSpec = {
    id: raw.id as string,
    kind,
    params: isPlainObject(params) ? params : {},
    as: typeof raw.as === 'string' ? raw.as : 'item',
  };
  for (const key of ['when', 'foreach', 'model', 'description'] as const) {
    if (typeof raw[key] === 'string') step[key] = raw[key] as string;
  }
  if (typeof raw.concurrency === 'number') step.concurrency = raw.concurrency;
  if (typeof raw.timeout_ms === 'number') step.timeout_ms = raw.timeout_ms;
  if (raw.needs !== undefined) step.needs = typeof raw.needs === 'string' ? [raw.needs] : (raw.needs as string[]);
  if (isPlainObject(raw.retry)) {
    const retry: RetrySpec = { attempts: raw.retry.attempts as number, backoff_ms: (raw.retry.backoff_ms as number | undefined) ?? 500 };
    if (typeof raw.retry.max_backoff_ms === 'number') retry.max_backoff_ms = raw.retry.max_backoff_ms;
    step.retry = retry;
  }
  return step;
}

function normalizeTest(raw: Obj): TestCase {
  const test: TestCase = {
    name: raw.name as string,
    inputs: isPlainObject(raw.inputs) ? raw.inputs : {},
    assert: Array.isArray(raw.assert) ? (raw.assert as TestCase['assert']) : [],
  };
  if (typeof raw.mode === 'string') test.mode = raw.mode as TestCase['mode'];
  if (typeof raw.expect_error === 'string') test.expect_error = raw.expect_error;
  return test;
}
