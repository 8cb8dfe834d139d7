import { ERROR_CODES } from '../errors.js';
import { CheckContext, isPlainObject } from './context.js';
import { closest } from './diagnostics.js';
import { checkInputs } from './inputs.js';
import type { InputSpec } from './types.js';

/**
 * `tests:` cases give inputs the same way a run does; problems `loom test` would hit
 * (unknown, missing or mistyped inputs) are reported now, on the case's inputs.
 * The shape of each case is already checked by the schema.
 */
export function checkTests(ctx: CheckContext): void {
  const root = ctx.value as Record<string, unknown>;
  if (!Array.isArray(root.tests)) return;
  const declared: Record<string, InputSpec> = {};
  if (isPlainObject(root.inputs)) {
    for (const [name, spec] of Object.entries(root.inputs)) {
      if (!isPlainObject(spec)) return;
      declared[name] = { ...spec, type: (typeof spec.type === 'string' ? spec.type : 'string') as InputSpec['type'] };
    }
  }
  root.tests.forEach((test, i) => {
    if (!isPlainObject(test)) return;
    const given = isPlainObject(test.inputs) ? test.inputs : test.inputs === undefined ? {} : undefined;
    if (!given) return;
    const label = typeof test.name === 'string' ? `test "${test.name}"` : `test #${i + 1}`;
    checkExpectError(ctx, test.expect_error, label, i);
    checkPatterns(ctx, test.assert, label, i);
    for (const p of checkInputs(declared, given).problems) {
      const known = p.name in given;
      ctx.report('test-inputs', `${label}: input "${p.name}": ${p.message}`, ['tests', i, ...(known ? ['inputs', p.name] : test.inputs === undefined ? [] : ['inputs'])], {
        at: known ? 'key' : 'value',
        hint: p.hint,
      });
    }
  });
}

/** `expect_error:` must name a real code, or the case could never pass. */
function checkExpectError(ctx: CheckContext, code: unknown, label: string, i: number): void {
  if (typeof code !== 'string' || !/^[A-Z][A-Z_]*$/.test(code) || (ERROR_CODES as readonly string[]).includes(code)) return;
  const guess = closest(code, ERROR_CODES);
  ctx.report('invalid-value', `${label}: expect_error "${code}" is not an error code`, ['tests', i, 'expect_error'], {
    hint: guess ? `did you mean ${guess}?` : 'see docs/errors.md for the codes, e.g. PROVIDER_NOT_CONFIGURED',
  });
}

/** `matches:` must be a regex `loom test` can compile, or the case fails for a reason the file could have told. */
function checkPatterns(ctx: CheckContext, asserts: unknown, label: string, i: number): void {
  if (!Array.isArray(asserts)) return;
  asserts.forEach((a, j) => {
    if (!isPlainObject(a) || typeof a.matches !== 'string') return;
    try {
      new RegExp(a.matches, 'u');
    } catch (error) {
      ctx.report('invalid-value', `${label}: matches is not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')})`, ['tests', i, 'assert', j, 'matches'], {
        hint: 'a JavaScript regular expression, e.g. matches: "retr(y|ies)"; escape ( [ { . * + ? with a backslash to match them literally',
      });
    }
  });
}
