import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadPipeline, validatePipeline } from './load.js';
import { isLoomError } from '../errors.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/spec/', import.meta.url));
const resolver = (ref: string) => (ref === 'include-cycle' ? join(FIXTURES, 'include-cycle.yaml') : undefined);

async function diagsOf(name: string) {
  const r = await validatePipeline(join(FIXTURES, name), { resolvePipelineRef: resolver });
  return r.diagnostics.map((d) => [d.code, d.line, d.col, d.severity ?? 'error']);
}

// Each bad-spec fixture is named after the code it triggers; every diagnostic it yields is listed,
// so a fixture that starts reporting something else fails too.
const CASES: [string, [string, number, number, ('error' | 'warning')?][]][] = [
  ['yaml-syntax-tab.yaml', [['yaml-syntax', 5, 1]]],
  ['yaml-syntax-quote.yaml', [['yaml-syntax', 5, 25]]],
  ['yaml-syntax-indent.yaml', [['yaml-syntax', 7, 1]]],
  ['yaml-warning.yaml', [['yaml-warning', 5, 25, 'warning']]],
  ['duplicate-key.yaml', [['duplicate-key', 6, 1]]],
  ['alias-bomb.yaml', [['alias-bomb', 4, 8]]],
  ['not-a-mapping.yaml', [['not-a-mapping', 1, 1]]],
  ['forbidden-key.yaml', [['forbidden-key', 4, 3]]],
  ['unknown-key.yaml', [['unknown-key', 3, 1], ['unknown-key', 6, 29], ['unknown-key', 7, 5]]],
  ['unknown-kind.yaml', [['unknown-kind', 5, 5]]],
  ['missing-kind.yaml', [['missing-kind', 4, 5]]],
  ['multiple-kinds.yaml', [['multiple-kinds', 6, 5]]],
  ['missing-field.yaml', [['missing-field', 5, 5], ['missing-field', 6, 5]]],
  ['invalid-type.yaml', [['invalid-type', 4, 31], ['invalid-type', 7, 34], ['invalid-type', 7, 44]]],
  ['invalid-value.yaml', [['invalid-value', 5, 38], ['invalid-value', 7, 14]]],
  ['out-of-range.yaml', [['out-of-range', 5, 34], ['out-of-range', 6, 24], ['out-of-range', 7, 17], ['out-of-range', 10, 18]]],
  ['invalid-id.yaml', [['invalid-id', 4, 3], ['invalid-id', 6, 9], ['invalid-id', 10, 9]]],
  ['invalid-name.yaml', [['invalid-name', 2, 7]]],
  ['duplicate-id.yaml', [['duplicate-id', 6, 9]]],
  ['foreach-only.yaml', [['foreach-only', 5, 5, 'warning']]],
  ['secret-in-spec.yaml', [['secret-in-spec', 4, 34, 'warning']]],
  ['template-syntax.yaml', [['template-syntax', 7, 25], ['template-syntax', 9, 11], ['template-syntax', 10, 25]]],
  ['unknown-ref.yaml', [['unknown-ref', 7, 24], ['unknown-ref', 9, 25], ['unknown-ref', 9, 25], ['unknown-ref', 11, 6]]],
  ['unknown-output.yaml', [['unknown-output', 10, 6], ['unknown-output', 11, 6], ['unknown-output', 12, 6]]],
  ['loop-var-scope.yaml', [['loop-var-scope', 9, 11], ['loop-var-scope', 12, 25]]],
  ['self-ref.yaml', [['self-ref', 5, 25], ['self-ref', 7, 13]]],
  ['cycle.yaml', [['cycle', 4, 9], ['cycle', 6, 9], ['cycle', 8, 9]]],
  ['unknown-need.yaml', [['unknown-need', 7, 13]]],
  ['unknown-model.yaml', [['unknown-model', 8, 12]]],
  ['unknown-model-warning.yaml', [['unknown-model', 5, 12, 'warning']]],
  ['test-inputs.yaml', [['test-inputs', 11, 13], ['test-inputs', 11, 15], ['test-inputs', 11, 29]]],
  ['self-include.yaml', [['self-include', 5, 22], ['self-include', 7, 22]]],
  ['include-cycle.yaml', [['include-cycle', 5, 22]]],
  ['path-escape.yaml', [['path-escape', 5, 22]]],
  ['unknown-pipeline.yaml', [['unknown-pipeline', 5, 22], ['unknown-pipeline', 7, 22]]],
];

describe('validatePipeline fixtures', () => {
  it.each(CASES)('%s', async (name, expected) => {
    const got = await diagsOf(name);
    expect(got).toEqual(expected.map(([c, l, col, sev]) => [c, l, col, sev ?? 'error']));
  });

  it('accepts the issue example pipeline and normalises it', async () => {
    const r = await validatePipeline(join(FIXTURES, 'valid-community-qa.yaml'));
    expect(r.diagnostics).toEqual([]);
    const spec = r.pipeline!.spec;
    expect(spec.steps.map((s) => [s.id, s.kind])).toEqual([['hits', 'retrieve'], ['reply', 'answer'], ['zh', 'translate'], ['per_doc', 'summarize']]);
    expect(spec.steps[0]).toEqual({ id: 'hits', kind: 'retrieve', params: { query: '{{ inputs.question }}', k: 6 }, as: 'item' });
    expect(spec.steps[1].retry).toEqual({ attempts: 3, backoff_ms: 500 });
    expect(spec.steps[3]).toMatchObject({ as: 'doc', concurrency: 4, foreach: '{{ steps.hits.hits }}' });
    expect(spec.models.default).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0 });
    expect(spec.tests[0]).toEqual({ name: 'retries', inputs: { question: 'How do I retry a step?' }, assert: [{ path: 'answer', contains: 'retry' }, { cites: 'docs/**' }] });
    expect(r.pipeline!.file).toBe(join(FIXTURES, 'valid-community-qa.yaml'));
    expect(r.pipeline!.dir).toBe(FIXTURES.replace(/\/$/, ''));
  });
});

describe('loadPipeline', () => {
  it('throws SPEC_INVALID with every diagnostic formatted and as data', async () => {
    const error = await loadPipeline(join(FIXTURES, 'unknown-key.yaml')).catch((e) => e);
    expect(isLoomError(error) && error.code).toBe('SPEC_INVALID');
    expect(error.diagnostics.map((d: { code: string }) => d.code)).toEqual(['unknown-key', 'unknown-key', 'unknown-key']);
    expect(error.message).toContain('unknown-key.yaml:6:29: error: prompt step "a": unknown key "temprature" [unknown-key]');
    expect(error.message).toContain('hint: did you mean "timeout_ms"?');
  });

  it('throws SPEC_NOT_FOUND for a missing .yaml path', async () => {
    const error = await loadPipeline('no/such/pipeline.yaml').catch((e) => e);
    expect(error.code).toBe('SPEC_NOT_FOUND');
    expect(error.message).toContain('pipeline.yaml');
  });

  it('loads YAML text, with warnings kept on the pipeline', async () => {
    const p = await loadPipeline('version: 1\nname: t\nsteps:\n  - id: a\n    model: fast\n    prompt: { template: hi }\n', { file: 'inline.yaml' });
    expect(p.spec.steps[0]).toMatchObject({ id: 'a', kind: 'prompt', model: 'fast' });
    expect(p.warnings.map((w) => [w.code, w.line, w.col])).toEqual([['unknown-model', 5, 12]]);
  });

  it('reads a value after a tab-free, BOM-prefixed file', async () => {
    const p = await loadPipeline('\uFEFFversion: 1\nname: bom\nsteps:\n  - id: a\n    prompt: { template: hi }\n');
    expect(p.spec.name).toBe('bom');
  });
});
