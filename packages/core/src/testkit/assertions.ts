import { createContext, runInContext } from 'node:vm';
import picomatch from 'picomatch';
import type { TestAssertion } from '../spec/types.js';

export interface AssertionResult {
  ok: boolean;
  /** what was checked, e.g. 'answer contains "retry"' */
  label: string;
  /** why it failed, with the actual value shortened */
  detail?: string;
}

export interface AssertionContext {
  outputs: Record<string, unknown>;
  /** prompt + completion tokens of the run */
  totalTokens: number;
}

/** Reads a dotted path ('citations.0.source') from the outputs; no path means all outputs. */
export function readPath(root: unknown, path: string | undefined): unknown {
  if (!path) return root;
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (!Object.prototype.hasOwnProperty.call(Object(cur), part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

function short(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const REGEX_MS = 1000;
const regexContext = createContext({});

/**
 * RegExp.test with a time limit: a pattern from a test file (a shared recipe) such as "^(a+)+$"
 * backtracks for hours on the wrong text. V8 interrupts a regex inside a timed vm script.
 */
function boundedTest(re: RegExp, text: string): boolean {
  regexContext.re = re;
  regexContext.text = text;
  try {
    return runInContext('re.test(text)', regexContext, { timeout: REGEX_MS }) as boolean;
  } finally {
    regexContext.re = undefined;
    regexContext.text = undefined;
  }
}

/**
 * Checks one assertion against a run's outputs. Text comparisons (`contains`, `not_contains`)
 * ignore case, since model output varies in capitalisation; `matches` is a JS regex as written.
 */
export function checkAssertion(assertion: TestAssertion, ctx: AssertionContext): AssertionResult[] {
  const where = assertion.path ?? (assertion.cites !== undefined ? 'citations' : 'outputs');
  const value = readPath(ctx.outputs, assertion.path ?? (assertion.cites !== undefined ? 'citations' : undefined));
  const text = asText(value);
  const results: AssertionResult[] = [];

  for (const needle of list(assertion.contains)) {
    const ok = text.toLowerCase().includes(needle.toLowerCase());
    results.push({ ok, label: `${where} contains "${needle}"`, detail: ok ? undefined : `got: ${short(text)}` });
  }
  for (const needle of list(assertion.not_contains)) {
    const ok = !text.toLowerCase().includes(needle.toLowerCase());
    results.push({ ok, label: `${where} does not contain "${needle}"`, detail: ok ? undefined : `got: ${short(text)}` });
  }
  if (assertion.matches !== undefined) {
    let ok = false;
    let detail: string | undefined;
    try {
      ok = boundedTest(new RegExp(assertion.matches, 'u'), text);
      if (!ok) detail = `got: ${short(text)}`;
    } catch (error) {
      detail = (error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
        ? `the regex took over ${REGEX_MS} ms on this output (nested quantifiers such as (a+)+ backtrack without end); simplify it`
        : `invalid regex: ${(error as Error).message}`;
    }
    results.push({ ok, label: `${where} matches /${assertion.matches}/`, detail });
  }
  if (assertion.equals !== undefined) {
    const ok = deepEqual(value, assertion.equals);
    results.push({ ok, label: `${where} equals ${short(JSON.stringify(assertion.equals), 60)}`, detail: ok ? undefined : `got: ${short(text)}` });
  }
  if (assertion.cites !== undefined) {
    // a glob is a regex too: the same time limit keeps a hostile glob from hanging on a long path
    const re = picomatch.makeRe(assertion.cites, { dot: true });
    const isMatch = (source: string) => {
      try {
        return boundedTest(re, source);
      } catch {
        return false;
      }
    };
    const sources = Array.isArray(value)
      ? value.map((c) => (c && typeof c === 'object' ? String((c as { source?: unknown }).source ?? '') : String(c)))
      : [];
    const ok = sources.some((s) => isMatch(s));
    results.push({ ok, label: `cites ${assertion.cites}`, detail: ok ? undefined : `cited: ${sources.length ? sources.join(', ') : '(nothing)'}` });
  }
  if (assertion.grounded !== undefined) {
    const actual = readPath(ctx.outputs, assertion.path ?? 'grounded');
    const ok = actual === assertion.grounded;
    results.push({ ok, label: `grounded is ${assertion.grounded}`, detail: ok ? undefined : `got: ${JSON.stringify(actual)}` });
  }
  if (assertion.max_tokens !== undefined) {
    const ok = ctx.totalTokens <= assertion.max_tokens;
    results.push({ ok, label: `uses at most ${assertion.max_tokens} tokens`, detail: ok ? undefined : `used ${ctx.totalTokens}` });
  }
  if (results.length === 0) {
    results.push({ ok: false, label: `assertion on ${where}`, detail: 'the assertion checks nothing: give contains, not_contains, matches, equals, cites, grounded or max_tokens' });
  }
  return results;
}
