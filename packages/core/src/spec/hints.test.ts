import { describe, expect, it } from 'vitest';
import '../steps/index.js'; // registers the built-in kinds, as the package entry does
import { validatePipeline } from './load.js';

/* Messages for the mistakes a new user makes first: where they are, and what to type instead. */

async function diagnosticsOf(text: string) {
  return (await validatePipeline(text)).diagnostics.map((d) => ({ message: d.message, line: d.line, col: d.col, hint: d.hint }));
}

describe('hints for common mistakes', () => {
  it('an unquoted ": " inside a value says "quote this value" on that line, with the quoted line as the hint', async () => {
    const diags = await diagnosticsOf(`version: 1
name: brief
description: A brief on a Vue topic: per-page summaries
steps:
  - id: a
    summarize: { text: "x" }
`);
    expect(diags).toEqual([{
      message: expect.stringContaining('quote this value'), line: 3, col: 14,
      hint: 'description: "A brief on a Vue topic: per-page summaries"',
    }]);
  });

  it('names unknown keys where they are, with the right guess', async () => {
    const diags = await diagnosticsOf(`version: 1
name: keys
inputs:
  q: { type: string, requird: true }
steps:
  - id: a
    summarize: { text: "{{ inputs.q | upcasee }}" }
    retries: 3
tests:
  - name: t
    assert:
      - path: summary
        contain: x
`);
    expect(diags).toContainEqual({ message: 'inputs.q: unknown key "requird"', line: 4, col: 22, hint: 'did you mean "required"?' });
    expect(diags).toContainEqual({ message: 'step "a": unknown key "retries"', line: 8, col: 5, hint: 'did you mean "retry"?' });
    expect(diags).toContainEqual({ message: 'tests[0].assert[0]: unknown key "contain"', line: 13, col: 9, hint: 'did you mean "contains"?' });
    expect(diags).toContainEqual(expect.objectContaining({ message: expect.stringContaining('undefined filter: upcasee'), line: 7, hint: 'did you mean "upcase"?' }));
  });
});
