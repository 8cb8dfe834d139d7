import { isPair, isScalar, visit } from 'yaml';
import { getStep, listSteps } from '../steps/registry.js';
import { BUILTIN_STEPS } from '../steps/params.js';
import type { z } from 'zod';
import { CheckContext, isPlainObject } from './context.js';
import { closest } from './diagnostics.js';
import { checkWithSchema } from './zod-issues.js';
import { wholeExpression } from './template.js';
import { FORBIDDEN_KEYS, ID_PATTERN, RESERVED_NAMES, STEP_COMMON_KEYS, pipelineTopSchema, stepCommonSchema } from './schema.js';

/** What the validator knows about a kind: a registered definition wins over the built-in table. */
export interface KindInfo {
  params: z.ZodType;
  outputs: string[];
  callsModel: boolean;
}

export function kindInfo(kind: string): KindInfo | undefined {
  return getStep(kind) ?? BUILTIN_STEPS[kind];
}

export function knownKinds(): string[] {
  return [...new Set([...Object.keys(BUILTIN_STEPS), ...listSteps().map((s) => s.kind)])];
}

/** A step as the later checks see it: its index, id and kind when they could be read. */
export interface StepInfo {
  index: number;
  raw: Record<string, unknown>;
  id?: string;
  kind?: string;
}

/** Keys that could reach Object.prototype, anywhere in the file. */
export function checkForbiddenKeys(ctx: CheckContext): void {
  visit(ctx.doc, {
    Pair(_, pair) {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      const key = String(pair.key.value);
      if (!FORBIDDEN_KEYS.has(key) || !pair.key.range) return;
      ctx.report('forbidden-key', `"${key}" is not allowed as a key`, [], {
        range: [pair.key.range[0], pair.key.range[1]],
        hint: 'rename the key; __proto__, constructor and prototype are refused to keep objects safe',
      });
    },
  });
}

/** Top-level shape, then each step: common fields, exactly one kind key, its parameters. */
export function checkStructure(ctx: CheckContext): StepInfo[] {
  const root = ctx.value;
  checkWithSchema(ctx, pipelineTopSchema, root, [], 'pipeline');
  if (!isPlainObject(root)) return [];
  checkInputs(ctx, root.inputs);
  checkModels(ctx, root.models);
  if (!Array.isArray(root.steps)) return [];
  const steps: StepInfo[] = [];
  root.steps.forEach((raw, index) => {
    if (isPlainObject(raw)) steps.push(checkStep(ctx, raw, index));
  });
  checkDuplicateIds(ctx, steps);
  return steps;
}

function checkStep(ctx: CheckContext, raw: Record<string, unknown>, index: number): StepInfo {
  const path = ['steps', index];
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  const label = id && ID_PATTERN.test(id) ? `step "${id}"` : `step #${index + 1}`;
  const common: Record<string, unknown> = {};
  for (const key of STEP_COMMON_KEYS) if (key in raw) common[key] = raw[key];
  checkWithSchema(ctx, stepCommonSchema, common, path, label);
  // ids become keys of `steps` (steps.<id>): a prototype name there is unreachable or worse
  if (id && FORBIDDEN_KEYS.has(id)) {
    ctx.report('invalid-id', `step id "${id}" is reserved`, [...path, 'id'], { hint: 'pick another id, e.g. the step kind plus what it does: fetch_docs' });
  }
  checkLoopFields(ctx, raw, path, label);
  const kind = checkKind(ctx, raw, path, label);
  if (kind) {
    const info = kindInfo(kind);
    const params = raw[kind] ?? {};
    if (!isPlainObject(params)) {
      ctx.report('invalid-type', `${label}: the parameters of ${kind} must be a mapping`, [...path, kind], {
        hint: `e.g. ${kind}: { ... } or an indented block of key: value lines`,
      });
    } else if (info) {
      checkWithSchema(ctx, info.params, params, [...path, kind], `${kind} ${label}`);
    }
  }
  return { index, raw, id: id && ID_PATTERN.test(id) ? id : undefined, kind };
}

/** The one kind key of a step; reports none, several, or unknown ones. */
function checkKind(ctx: CheckContext, raw: Record<string, unknown>, path: (string | number)[], label: string): string | undefined {
  const kinds = knownKinds();
  const keys = Object.keys(raw).filter((k) => !STEP_COMMON_KEYS.includes(k) && !FORBIDDEN_KEYS.has(k));
  const known = keys.filter((k) => kinds.includes(k));
  for (const key of keys.filter((k) => !kinds.includes(k))) {
    const kindGuess = closest(key, kinds);
    const commonGuess = closest(key, STEP_COMMON_KEYS);
    if (known.length > 0 || (commonGuess && !kindGuess)) {
      ctx.report('unknown-key', `${label}: unknown key "${key}"`, [...path, key], {
        at: 'key',
        hint: commonGuess || kindGuess ? `did you mean "${commonGuess ?? kindGuess}"?` : `step fields are ${STEP_COMMON_KEYS.join(', ')} and one kind key`,
      });
    } else {
      ctx.report('unknown-kind', `${label}: unknown step kind "${key}"`, [...path, key], {
        at: 'key',
        hint: kindGuess ? `did you mean "${kindGuess}"?` : `known kinds: ${kinds.join(', ')} (or register one with defineStep)`,
      });
    }
  }
  if (keys.length === 0) {
    ctx.report('missing-kind', `${label} has no step kind`, path, {
      hint: `add exactly one of ${kinds.join(', ')}, holding its parameters`,
    });
  }
  if (known.length > 1) {
    ctx.report('multiple-kinds', `${label} has ${known.length} step kinds (${known.join(', ')}); a step has exactly one`, [...path, known[1]], {
      at: 'key',
      hint: 'split it into one step per kind and connect them with {{ steps.<id>.<field> }}',
    });
  }
  return known.length === 1 ? known[0] : undefined;
}

function checkLoopFields(ctx: CheckContext, raw: Record<string, unknown>, path: (string | number)[], label: string): void {
  if (typeof raw.foreach === 'string' && wholeExpression(raw.foreach) === undefined) {
    ctx.report('invalid-value', `${label}: foreach must be one {{ expression }} giving a list`, [...path, 'foreach'], {
      hint: 'e.g. foreach: "{{ steps.hits.hits }}"',
    });
  }
  if (typeof raw.as === 'string' && (RESERVED_NAMES.has(raw.as) || FORBIDDEN_KEYS.has(raw.as))) {
    ctx.report('invalid-id', `${label}: "${raw.as}" is reserved and cannot be a loop variable`, [...path, 'as'], {
      hint: 'pick another name, e.g. as: doc',
    });
  }
  for (const key of ['as', 'concurrency']) {
    if (key in raw && raw.foreach === undefined) {
      ctx.report('foreach-only', `${label}: ${key} has no effect without foreach`, [...path, key], { at: 'key', severity: 'warning' });
    }
  }
}

function checkDuplicateIds(ctx: CheckContext, steps: StepInfo[]): void {
  const first = new Map<string, number>();
  for (const step of steps) {
    if (!step.id) continue;
    const prev = first.get(step.id);
    if (prev === undefined) {
      first.set(step.id, step.index);
      continue;
    }
    const prevRange = ctx.rangeOf(['steps', prev, 'id']);
    const where = prevRange ? ` (first at line ${ctx.lineCounter.linePos(prevRange[0]).line})` : '';
    ctx.report('duplicate-id', `duplicate step id "${step.id}"${where}`, ['steps', step.index, 'id'], {
      hint: 'step ids must be unique; rename one of them',
    });
  }
}

function checkInputs(ctx: CheckContext, inputs: unknown): void {
  if (!isPlainObject(inputs)) return;
  for (const [name, spec] of Object.entries(inputs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      ctx.report('invalid-id', `input name "${name}" must be letters, digits and _ (not starting with a digit)`, ['inputs', name], { at: 'key' });
    }
    if (!isPlainObject(spec) || spec.default === undefined || spec.default === null) continue;
    const type = typeof spec.type === 'string' ? spec.type : 'string';
    if (!matchesType(spec.default, type)) {
      ctx.report('invalid-type', `input "${name}": default must be ${type === 'array' ? 'a list' : type === 'object' ? 'a mapping' : `a ${type}`}`, ['inputs', name, 'default']);
    }
  }
}

export function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return isPlainObject(value);
    case 'string': return typeof value === 'string';
    default: return true;
  }
}

function checkModels(ctx: CheckContext, models: unknown): void {
  if (!isPlainObject(models)) return;
  for (const [name, config] of Object.entries(models)) {
    if (!isPlainObject(config)) continue;
    for (const key of ['api_key', 'apiKey', 'key']) {
      if (key in config) {
        ctx.report('secret-in-spec', `model "${name}": a key in the pipeline file would be committed with it`, ['models', name, key], {
          at: 'key',
          severity: 'warning',
          hint: 'use api_key_env: OPENAI_API_KEY and set the key in the environment',
        });
      }
    }
  }
}

