import { isTemplate, renderString, wholeExpression, type Scope } from '../spec/template.js';

/**
 * Rendering of step parameters with a fast path: a value that is exactly `{{ a.b[0].c }}` (plain
 * names and indices, no filters) is looked up directly instead of going through Liquid. The
 * lookup follows Liquid's rules with `ownPropertyOnly` (own properties only) and falls back to
 * Liquid for anything else, including every failure, so errors and special names (`size`,
 * `first`, `last`) behave exactly as in spec/template.ts.
 */
const SIMPLE_PATH = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*$/;
const SEGMENT = /[A-Za-z_]\w*|\d+/g;
const LIQUID_NAMES = new Set(['size', 'first', 'last']);
const MISS = Symbol('miss');
const pathCache = new Map<string, (string | number)[] | null>();

/** The variable path of a value that is exactly `{{ a.b[0] }}` (no filters), or null. Cached per text. */
export function pathOf(text: string): (string | number)[] | null {
  let path = pathCache.get(text);
  if (path !== undefined) return path;
  const expr = wholeExpression(text);
  path = null;
  if (expr !== undefined && SIMPLE_PATH.test(expr)) {
    path = (expr.match(SEGMENT) ?? []).map((s, i) => (i > 0 && /^\d/.test(s) ? Number(s) : s));
    if (path.some((s) => typeof s === 'string' && LIQUID_NAMES.has(s))) path = null;
  }
  if (pathCache.size > 10_000) pathCache.clear();
  pathCache.set(text, path);
  return path;
}

function lookup(scope: Scope, path: (string | number)[]): unknown {
  let cur: unknown = scope;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return MISS;
    if (Array.isArray(cur) !== (typeof key === 'number')) return MISS;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return MISS;
    cur = (cur as Record<string | number, unknown>)[key];
    if (cur === undefined || typeof cur === 'function') return MISS;
  }
  return cur;
}

async function renderText(text: string, scope: Scope): Promise<unknown> {
  const path = pathOf(text);
  if (path) {
    const value = lookup(scope, path);
    if (value !== MISS) return value;
  }
  return renderString(text, scope);
}

const NEEDS_LIQUID = Symbol('needs-liquid');

/** Renders without Liquid and without promises when every template is a plain path that resolves. */
function renderSync(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return value;
    const path = pathOf(value);
    if (!path) return NEEDS_LIQUID;
    const found = lookup(scope, path);
    return found === MISS ? NEEDS_LIQUID : found;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = renderSync(value[i], scope);
      if (v === NEEDS_LIQUID) return NEEDS_LIQUID;
      out[i] = v;
    }
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      const v = renderSync((value as Record<string, unknown>)[k], scope);
      if (v === NEEDS_LIQUID) return NEEDS_LIQUID;
      out[k] = v;
    }
    return out;
  }
  return value;
}

/**
 * Renders every template string inside a JSON-like value; values without templates are
 * returned as they are. Synchronous when it can be: a pipeline's steps are mostly
 * `{{ steps.x.y }}`, and an await per value costs more than the lookup itself.
 */
export function renderParams(value: unknown, scope: Scope): unknown /* or a Promise of it */ {
  const quick = renderSync(value, scope);
  return quick === NEEDS_LIQUID ? renderAsync(value, scope) : quick;
}

async function renderAsync(value: unknown, scope: Scope): Promise<unknown> {
  if (typeof value === 'string') return isTemplate(value) ? renderText(value, scope) : value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = await renderAsync(value[i], scope);
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderAsync(v, scope);
    return out;
  }
  return value;
}
