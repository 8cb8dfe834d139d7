import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { validatePipeline } from './load.js';
import { defineStep } from '../steps/registry.js';

const codes = async (text: string, options = {}) =>
  (await validatePipeline(text, options)).diagnostics.map((d) => [d.code, d.line, d.col]);

const head = 'version: 1\nname: t\ninputs:\n  q: { type: string }\n  k: { type: number, default: 3 }\nsteps:\n';

describe('references and types that are fine', () => {
  it('allows later steps, needs as a string, templates in typed params, list access on foreach steps', async () => {
    const text = head + [
      '  - id: first',
      '    needs: last',
      '    summarize: { text: "{{ steps.last.hits }}", max_words: "{{ inputs.k }}" }',
      '  - id: per',
      '    foreach: "{{ steps.last.hits }}"',
      '    prompt: { template: "{{ loop.index }}/{{ loop.length }} {{ item.text }} {% for w in item.words %}{{ w }}{{ forloop.index }}{% endfor %}" }',
      '  - id: last',
      '    when: inputs.q != blank',
      '    retrieve: { query: "{{ inputs.q }}", k: "{{ inputs.k }}" }',
      'outputs:',
      '  n: "{{ steps.per.size }}"',
      '  one: "{{ steps.per[0].text }} {{ steps.per.first.text }} {{ steps.per.last.json }}"',
      '  all: "{{ steps.per | map: \'text\' | join: \', \' }}"',
      '',
    ].join('\n');
    expect(await codes(text)).toEqual([]);
  });

  it('checks bare when: conditions, the loop variable in foreach:, and a renamed loop variable', async () => {
    const text = head + [
      '  - id: a',
      '    when: inputs.lnag == "zh"',
      '    foreach: "{{ item }}"',
      '    as: doc',
      '    prompt: { template: "{{ item.text }}" }',
      'outputs:',
      '  x: "{{ doc }}"',
      '  y: "{{ loop.index }}"',
      '',
    ].join('\n');
    expect(await codes(text)).toEqual([
      ['unknown-ref', 8, 11],
      ['unknown-ref', 9, 14],
      ['unknown-ref', 11, 25],
      ['loop-var-scope', 13, 6],
      ['unknown-ref', 14, 6],
    ]);
  });

  it('still checks the references under an unknown kind', async () => {
    expect(await codes(head + '  - id: a\n    retreive: { query: "{{ inputs.qq }}" }\n')).toEqual([
      ['unknown-kind', 8, 5],
      ['unknown-ref', 8, 24],
    ]);
  });

  it('refuses a YAML file with several documents', async () => {
    expect(await codes('version: 1\n---\nname: x\n')).toEqual([['yaml-syntax', 2, 1]]);
  });

  it('refuses whole-parameter templates and an empty file', async () => {
    expect(await codes(head + '  - id: a\n    prompt: "{{ inputs.q }}"\n')).toEqual([['invalid-type', 8, 13]]);
    expect(await codes('')).toEqual([['not-a-mapping', 1, 1]]);
  });

  it('reports a prompt step with both template and messages, and a bad message role', async () => {
    const text = head + '  - id: a\n    prompt:\n      template: hi\n      messages: [{ role: robot, content: hi }]\n';
    expect(await codes(text)).toEqual([['invalid-value', 9, 7], ['invalid-value', 10, 26]]);
  });
});

describe('kinds registered with defineStep', () => {
  defineStep({
    kind: 'shout',
    description: 'upper-cases text',
    params: z.strictObject({ text: z.string(), times: z.int().min(1).optional() }),
    outputs: ['loud'],
    callsModel: false,
    run: async (p: { text: string }) => ({ loud: p.text.toUpperCase() }),
  });

  it('validates their parameters and outputs like the built-in ones', async () => {
    const text = head + [
      '  - id: a',
      '    shout: { text: "{{ inputs.q }}", times: 0, volume: 11 }',
      'outputs:',
      '  ok: "{{ steps.a.loud }}"',
      '  bad: "{{ steps.a.quiet }}"',
      '',
    ].join('\n');
    expect(await codes(text)).toEqual([['out-of-range', 8, 45], ['unknown-key', 8, 48], ['unknown-output', 11, 8]]);
  });
});

describe('pipeline steps across files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-use-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'recipes'));
  const pipe = (name: string, use: string) => `version: 1\nname: ${name}\nsteps:\n  - id: child\n    pipeline: { use: ${use} }\n`;
  writeFileSync(join(dir, 'recipes', 'b.yaml'), pipe('b', 'c'));
  writeFileSync(join(dir, 'recipes', 'c.yaml'), pipe('c', 'top'));
  writeFileSync(join(dir, 'top.yaml'), pipe('top', 'b'));
  writeFileSync(join(dir, 'templated.yaml'), pipe('templated', '"{{ inputs.which }}"').replace('steps:', 'inputs:\n  which: { type: string }\nsteps:'));
  const resolvePipelineRef = (ref: string) => (ref === 'top' ? join(dir, 'top.yaml') : ['b', 'c'].includes(ref) ? join(dir, 'recipes', `${ref}.yaml`) : undefined);

  it('follows recipe names through the resolver hook to find an include cycle', async () => {
    const r = await validatePipeline(join(dir, 'top.yaml'), { resolvePipelineRef });
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['include-cycle', 5, 22]]);
    expect(r.diagnostics[0].message).toContain('top.yaml -> recipes/b.yaml -> recipes/c.yaml -> top.yaml');
  });

  it('finds <name>.yaml beside the pipeline, as the engine does, and refuses symlinks out of the folder', async () => {
    writeFileSync(join(dir, 'sibling.yaml'), pipe('sibling', 'uses-sibling'));
    writeFileSync(join(dir, 'uses-sibling.yaml'), pipe('uses-sibling', 'sibling'));
    const r = await validatePipeline(join(dir, 'uses-sibling.yaml'), { resolvePipelineRef: () => undefined });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['include-cycle']);
    expect(r.diagnostics[0].message).toContain('uses-sibling.yaml -> sibling.yaml -> uses-sibling.yaml');
    const outside = mkdtempSync(join(tmpdir(), 'loom-outside-'));
    writeFileSync(join(outside, 'secret.yaml'), pipe('secret', 'x'));
    symlinkSync(outside, join(dir, 'link'));
    writeFileSync(join(dir, 'via-link.yaml'), pipe('via-link', './link/secret.yaml'));
    expect((await validatePipeline(join(dir, 'via-link.yaml'))).diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['path-escape', 5, 22]]);
    rmSync(outside, { recursive: true, force: true });
  });

  it('leaves a templated use: to run time, and without a resolver looks names up on the default recipe path', async () => {
    expect((await validatePipeline(join(dir, 'templated.yaml'))).diagnostics).toEqual([]);
    // b is only in this test's own recipes folder, which is not on the default path: as the engine would, validation refuses it
    expect((await validatePipeline(join(dir, 'top.yaml'))).diagnostics.map((d) => d.code)).toEqual(['unknown-pipeline']);
    writeFileSync(join(dir, 'no-such.yaml'), pipe('no-such', 'no-such-recipe'));
    expect((await validatePipeline(join(dir, 'no-such.yaml'))).diagnostics.map((d) => d.message)).toEqual([
      'step "child": use: "no-such-recipe" is neither a recipe nor a file beside this pipeline',
    ]);
  });
});
