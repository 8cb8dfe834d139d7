import { Liquid, type LiquidOptions } from 'liquidjs';
import { LoomError } from '../errors.js';

/*
 * Templates are Liquid: no JavaScript is ever evaluated, and `ownPropertyOnly` keeps
 * prototype members (constructor, __proto__) out of reach.
 * A value that is exactly one `{{ expr }}` passes the referenced value with its type;
 * anything else is string interpolation.
 */
/**
 * A Liquid for templates from pipeline files and prompt overrides, which may come from shared
 * recipe folders: no file tags (the default file system would let `{% include ".env" %}` send a
 * secret to the model), and memory/time bounds so `{% for i in (1..100000000) %}` cannot hang a run.
 */
export function createSafeLiquid(options: LiquidOptions = {}): Liquid {
  const engine = new Liquid({
    ...options,
    templates: {},
    // bounds far above any prompt
    memoryLimit: 50_000_000,
    renderLimit: 5_000,
    parseLimit: 10_000_000,
  });
  for (const tag of ['include', 'render', 'layout']) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(`{% ${tag} %} is not allowed: pipeline templates cannot read files; pass the text as an input or a step output`);
      },
      render() {},
    });
  }
  return engine;
}

const liquid = createSafeLiquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  jsTruthy: false,
  cache: 512,
  outputEscape: undefined,
});

liquid.registerFilter('json', (v: unknown, indent?: number) => JSON.stringify(v, null, indent ?? 0));

/** Names of the filters templates may use, for did-you-mean on an unknown one. */
export function filterNames(): string[] {
  return Object.keys(liquid.filters);
}

const WHOLE = /^\s*\{\{-?\s*([\s\S]*?)\s*-?\}\}\s*$/;

export type Scope = Record<string, unknown>;

/** The expression inside a value that is exactly one `{{ expr }}`, else undefined. */
export function wholeExpression(text: string): string | undefined {
  const m = WHOLE.exec(text);
  if (!m) return undefined;
  // "{{ a }} and {{ b }}" also matches the regex; it is interpolation, not one expression
  if (m[1].includes('{{') || m[1].includes('}}')) return undefined;
  return m[1];
}

export function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

/** Renders strings inside any JSON-like value, recursively. */
export async function renderValue(value: unknown, scope: Scope): Promise<unknown> {
  if (typeof value === 'string') return renderString(value, scope);
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderValue(v, scope)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderValue(v, scope);
    return out;
  }
  return value;
}

export async function renderString(text: string, scope: Scope): Promise<unknown> {
  if (!isTemplate(text)) return text;
  try {
    const expr = wholeExpression(text);
    if (expr !== undefined) return await liquid.evalValue(expr, scope);
    return await liquid.parseAndRender(text, scope);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new LoomError('RUN_STEP_FAILED', `template error in "${text}": ${message}`, {
      cause: error,
      hint: / limit exceeded/.test(message)
        ? 'the template does too much work (a loop over a huge range or a huge value); templates format prompts, they do not compute'
        : 'check the names used in {{ }}: inputs.<name>, steps.<id>.<field>, or the foreach variable',
    });
  }
}

/** Evaluates a `when:` condition such as "{{ inputs.lang == 'zh' }}" to a boolean. */
export async function evalCondition(text: string, scope: Scope): Promise<boolean> {
  const expr = wholeExpression(text) ?? text;
  // Liquid has comparison operators only inside tags, so the condition becomes an `if`.
  const out = await renderString(`{% if ${expr} %}1{% else %}0{% endif %}`, scope);
  return out === '1';
}

/** Every variable path a template references, e.g. [['inputs','question'], ['steps','hits','hits']]. */
export function templateRefs(text: string, asCondition = false): (string | number)[][] {
  if (!isTemplate(text)) return [];
  const expr = wholeExpression(text);
  const source = asCondition
    ? `{% if ${expr ?? text} %}{% endif %}`
    : expr !== undefined ? `{{ ${expr} }}` : text;
  const tpl = liquid.parse(source);
  return liquid.variableSegmentsSync(tpl) as (string | number)[][];
}

/** templateRefs over every string inside a JSON-like value. */
export function valueRefs(value: unknown): (string | number)[][] {
  if (typeof value === 'string') return templateRefs(value);
  if (Array.isArray(value)) return value.flatMap(valueRefs);
  if (value && typeof value === 'object') return Object.values(value).flatMap(valueRefs);
  return [];
}

/** Parses a template only to report syntax errors (message) or undefined when fine. */
export function templateSyntaxError(text: string, asCondition = false): string | undefined {
  try {
    templateRefs(text, asCondition);
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

/**
 * Like templateRefs, but only names that come from outside the template: variables a
 * template defines itself ({% for h in ... %}, {% assign %}, forloop) are left out.
 * A condition without braces ("inputs.lang == 'zh'") is read as an expression, as evalCondition does.
 */
export function templateGlobalRefs(text: string, asCondition = false): (string | number)[][] {
  if (!asCondition && !isTemplate(text)) return [];
  const expr = wholeExpression(text) ?? (asCondition && !isTemplate(text) ? text : undefined);
  const source = asCondition
    ? `{% if ${expr ?? text} %}{% endif %}`
    : expr !== undefined ? `{{ ${expr} }}` : text;
  return liquid.globalVariableSegmentsSync(liquid.parse(source)) as (string | number)[][];
}
