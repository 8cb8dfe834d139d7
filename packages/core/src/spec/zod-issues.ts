import type { z } from 'zod';
import { isTemplate } from './template.js';
import { closest, didYouMean } from './diagnostics.js';
import { getAt, type CheckContext, type Path } from './context.js';

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/**
 * Checks `value` (found at `base` in the document) against `schema` and reports each zod
 * issue as a positioned diagnostic. Issues at or under a template string are dropped:
 * that value is only known after rendering, when the engine checks it again.
 */
export function checkWithSchema(ctx: CheckContext, schema: z.ZodType, value: unknown, base: Path, label: string): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  for (const issue of flattenUnions(result.error.issues, value)) {
    if (underTemplate(value, issue.path as Path)) continue;
    reportIssue(ctx, schema, issue, value, base, label);
  }
}

function underTemplate(value: unknown, path: Path): boolean {
  for (let n = 0; n <= path.length; n++) {
    const v = getAt(value, path.slice(0, n));
    if (typeof v === 'string' && isTemplate(v)) return true;
  }
  return false;
}

/**
 * A union that fails in every branch: when every branch fails on the type of the value
 * itself, one "expected a or b" issue; otherwise the issues of the branch that got furthest.
 */
function flattenUnions(issues: readonly Issue[], root: unknown): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      out.push(issue);
      continue;
    }
    const branches = issue.errors;
    const allTypeAtRoot = branches.every((b) => b.length > 0 && b.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (allTypeAtRoot) {
      const expected = [...new Set(branches.flatMap((b) => b.map((i) => (i as { expected: string }).expected)))];
      out.push({ code: 'invalid_type', expected: expected.join('|'), path: issue.path, message: '', input: undefined } as unknown as Issue);
      continue;
    }
    const best = [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
    const nested = best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue);
    out.push(...flattenUnions(nested, root));
  }
  return out;
}

function depth(issues: readonly Issue[]): number {
  return Math.max(0, ...issues.filter((i) => i.code !== 'invalid_type' || i.path.length > 0).map((i) => i.path.length + 1));
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  return `the string "${String(v).slice(0, 40)}"`;
}

/**
 * Where an unknown key sits: `inputs.q`, `tests[0].assert[1]` for the document's own sections,
 * `prompt step "a"` (plus the path inside it) for a step's parameters.
 */
function placeOf(label: string, full: Path, relative: Path): string {
  const text = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  if (label === 'pipeline') return full.length ? text(full) : label;
  return relative.length ? `${label}, ${text(relative)}` : label;
}

function fieldName(label: string, path: Path): string {
  const tail = path.filter((p) => typeof p === 'string');
  return tail.length > 0 ? `"${tail.join('.')}"` : label;
}

function reportIssue(ctx: CheckContext, schema: AnySchema, issue: Issue, root: unknown, base: Path, label: string): void {
  const path = issue.path as Path;
  const full = [...base, ...path];
  const value = getAt(root, path);
  const name = fieldName(label, path);
  const missing = value === undefined && path.length > 0 && ['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code);
  if (missing) {
    const field = String(path[path.length - 1]);
    ctx.report('missing-field', `${label}: missing required field "${field}"`, full.slice(0, -1), {
      at: 'key',
      hint: `add ${field}: to ${label}`,
    });
    return;
  }
  switch (issue.code) {
    case 'invalid_type': {
      const expected = [...new Set(String(issue.expected).split('|').map((t) => TYPE_NAMES[t] ?? t))];
      ctx.report('invalid-type', `${name} must be ${expected.join(' or ')}, not ${describeValue(value)}`, full);
      return;
    }
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path);
      for (const key of issue.keys) {
        const hint = didYouMean(key, known) ?? (known.length > 0 ? `allowed here: ${known.join(', ')}` : undefined);
        // named where it is (inputs.q, tests[0].assert[0]), not by the whole document's label
        ctx.report('unknown-key', `${placeOf(label, full, path)}: unknown key "${key}"`, [...full, key], { at: 'key', hint });
      }
      return;
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const guess = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
      ctx.report('invalid-value', `${name} must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}, not ${describeValue(value)}`, full, {
        hint: guess ? `did you mean "${guess}"?` : undefined,
      });
      return;
    }
    case 'too_small':
    case 'too_big':
      ctx.report('out-of-range', rangeMessage(name, issue), full);
      return;
    case 'invalid_format':
      reportFormat(ctx, full, name, value, issue.format === 'regex' ? String((issue as { pattern?: string }).pattern) : issue.format);
      return;
    default:
      ctx.report('invalid-value', `${name}: ${issue.message}`, full);
  }
}

function reportFormat(ctx: CheckContext, full: Path, name: string, value: unknown, pattern: string): void {
  const last = full[full.length - 1];
  if (full.length === 1 && last === 'name') {
    ctx.report('invalid-name', `pipeline name "${String(value)}" must be lowercase letters, digits and -`, full, {
      hint: `e.g. name: ${String(value).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'my-pipeline'}`,
    });
  } else if (last === 'id' || last === 'as') {
    ctx.report('invalid-id', `${last === 'id' ? 'step id' : 'loop variable'} "${String(value)}" must match [a-z_][a-z0-9_]*`, full, {
      hint: `e.g. ${String(value).toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^([0-9])/, '_$1') || 'step_1'}`,
    });
  } else {
    ctx.report('invalid-value', `${name} has the wrong format (must match ${pattern})`, full);
  }
}

function rangeMessage(name: string, issue: Issue & { code: 'too_small' | 'too_big' }): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum);
  switch (issue.origin) {
    case 'string':
      return small && limit === 1 ? `${name} must not be empty` : `${name} must be ${small ? 'at least' : 'at most'} ${limit} characters`;
    case 'array':
      return `${name} needs ${small ? 'at least' : 'at most'} ${limit} item${limit === 1 ? '' : 's'}`;
    default:
      return `${name} must be ${small ? 'at least' : 'at most'} ${limit}`;
  }
}

/** The keys an object schema at `path` accepts (for did-you-mean). */
function knownKeys(schema: AnySchema, path: Path): string[] {
  let cur: AnySchema | undefined = schema;
  for (const seg of path) {
    cur = cur ? childSchema(unwrap(cur), seg) : undefined;
  }
  const obj = cur ? unwrap(cur) : undefined;
  const shape = (obj?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    const def = cur._zod.def as { innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) cur = def.innerType;
    else if (def.in) cur = def.in;
    else break;
  }
  return cur;
}

function childSchema(s: AnySchema, seg: string | number): AnySchema | undefined {
  const def = s._zod.def as { type: string; shape?: Record<string, AnySchema>; element?: AnySchema; valueType?: AnySchema };
  if (def.type === 'object') return def.shape?.[String(seg)];
  if (def.type === 'array') return def.element;
  if (def.type === 'record') return def.valueType;
  return undefined;
}
