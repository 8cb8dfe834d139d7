import { LoomError } from '../errors.js';
import type { InputSpec, LoadedPipeline, PipelineSpec } from './types.js';
import { closest } from './diagnostics.js';
import { isPlainObject } from './context.js';
import { FORBIDDEN_KEYS } from './schema.js';

/** One problem with the inputs given to a run. */
export interface InputProblem {
  name: string;
  message: string;
  hint?: string;
}

/**
 * The inputs of a run, checked against the pipeline's `inputs:`: strings from
 * `--input k=v` are coerced to the declared type (number, boolean, or JSON for arrays and
 * objects), defaults are applied, and optional inputs nobody gave are null (so a template
 * can say `{{ inputs.lang | default: "en" }}`). Throws INPUT_INVALID listing every problem.
 */
export function parseInputs(pipeline: PipelineSpec | LoadedPipeline, raw: Record<string, unknown>): Record<string, unknown> {
  const spec = 'spec' in pipeline ? pipeline.spec : pipeline;
  const { values, problems } = checkInputs(spec.inputs, raw);
  if (problems.length > 0) {
    const lines = problems.map((p) => `input "${p.name}": ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
    const declared = Object.entries(spec.inputs).map(([k, v]) => `${k} (${v.type}${v.required ? ', required' : ''})`);
    throw new LoomError('INPUT_INVALID', `pipeline "${spec.name}": ${lines.join('; ')}`, {
      hint: declared.length > 0 ? `inputs: ${declared.join(', ')}; pass them as --input name=value` : 'this pipeline takes no inputs',
    });
  }
  return values;
}

/** parseInputs without throwing: coerced values plus every problem found. */
export function checkInputs(declared: Record<string, InputSpec>, raw: Record<string, unknown>): { values: Record<string, unknown>; problems: InputProblem[] } {
  const values: Record<string, unknown> = {};
  const problems: InputProblem[] = [];
  const names = Object.keys(declared);
  for (const [name, given] of Object.entries(raw)) {
    const spec = Object.prototype.hasOwnProperty.call(declared, name) && !FORBIDDEN_KEYS.has(name) ? declared[name] : undefined;
    if (!spec) {
      const guess = closest(name, names);
      problems.push({ name, message: 'unknown input', hint: guess ? `did you mean "${guess}"?` : names.length ? `inputs are ${names.join(', ')}` : undefined });
      continue;
    }
    const coerced = coerce(given, spec.type);
    if ('error' in coerced) problems.push({ name, message: coerced.error });
    else values[name] = coerced.value;
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (name in values || problems.some((p) => p.name === name)) continue;
    if (spec.default !== undefined && spec.default !== null) values[name] = structuredClone(spec.default);
    else if (spec.required) problems.push({ name, message: 'is required', hint: `--input ${name}=...` });
    else values[name] = null;
  }
  return { values, problems };
}

type Coerced = { value: unknown } | { error: string };

function coerce(given: unknown, type: InputSpec['type']): Coerced {
  if (typeof given === 'string' && type !== 'string') return fromString(given, type);
  switch (type) {
    case 'string':
      if (typeof given === 'string') return { value: given };
      if (typeof given === 'number' || typeof given === 'boolean') return { value: String(given) };
      return { error: `expected a string, got ${kindOf(given)}` };
    case 'number':
      return typeof given === 'number' && Number.isFinite(given) ? { value: given } : { error: `expected a number, got ${kindOf(given)}` };
    case 'boolean':
      return typeof given === 'boolean' ? { value: given } : { error: `expected true or false, got ${kindOf(given)}` };
    case 'array':
      return Array.isArray(given) ? { value: given } : { error: `expected a list, got ${kindOf(given)}` };
    case 'object':
      return isPlainObject(given) ? { value: given } : { error: `expected an object, got ${kindOf(given)}` };
    default:
      return { value: given };
  }
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

function fromString(text: string, type: InputSpec['type']): Coerced {
  const t = text.trim();
  if (type === 'number') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? { value: n } : { error: `expected a number, got "${text}"` };
  }
  if (type === 'boolean') {
    if (TRUE.has(t.toLowerCase())) return { value: true };
    if (FALSE.has(t.toLowerCase())) return { value: false };
    return { error: `expected true or false, got "${text}"` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    // a bare comma-separated list is the common case on a command line
    if (type === 'array' && !t.startsWith('[')) return { value: t === '' ? [] : t.split(',').map((s) => s.trim()) };
    return { error: `expected ${type === 'array' ? 'a JSON list' : 'a JSON object'}, got "${text.slice(0, 60)}"` };
  }
  return coerce(parsed, type);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`.slice(0, 60);
}
