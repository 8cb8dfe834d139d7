import type { ModelConfig, PipelineSpec, StepSpec, TestCase } from './types.js';
import { inputSpecSchema, modelConfigSchema, retrySchema, STEP_COMMON_KEYS, testCaseSchema } from './schema.js';
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
    // the checks passed, so parsing cannot fail: it only fills the schema's defaults
    inputs: mapValues(doc.inputs, (raw) => inputSpecSchema.parse(raw)),
    models: mapValues(doc.models, (raw): ModelConfig => modelConfigSchema.parse(raw)),
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
  if (isPlainObject(raw.retry)) step.retry = retrySchema.parse(raw.retry);
  return step;
}

function normalizeTest(raw: Obj): TestCase {
  const test = testCaseSchema.parse(raw);
  return { ...test, assert: test.assert ?? [] };
}
