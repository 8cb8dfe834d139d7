import { describe, expect, it } from 'vitest';
import { renderValue } from '../spec/template.js';
import { renderParams } from './render.js';

const scope = {
  inputs: { q: '向量索引', n: 3, tags: ['a', 'b'], empty: null },
  steps: { hits: { hits: [{ id: 'x', text: '第一段' }, { id: 'y', text: 'second' }], size: 'own size' } },
  env: {},
};

describe('renderParams', () => {
  it.each([
    '{{ inputs.q }}',
    '{{ inputs.n }}',
    '{{ inputs.tags }}',
    '{{ inputs.empty }}',
    '{{ steps.hits.hits[1].text }}',
    '{{ steps.hits.hits }}',
    '{{ steps.hits.hits.size }}',
    '{{ steps.hits.size }}',
    '{{ steps.hits.hits.first.id }}',
    '{{ inputs.q.length }}',
    '{{inputs.q}}',
    '  {{- inputs.q -}}  ',
    'q={{ inputs.q }}',
    '{{ inputs.tags | join: "," }}',
    'plain text',
  ])('gives what Liquid gives for %s', async (text) => {
    expect(await renderParams(text, scope)).toEqual(await renderValue(text, scope));
  });

  it('keeps types of whole-expression values inside nested params', async () => {
    const out = await renderParams({ passages: '{{ steps.hits.hits }}', k: 5, list: ['{{ inputs.n }}', 'x{{ inputs.n }}'] }, scope);
    expect(out).toEqual({ passages: scope.steps.hits.hits, k: 5, list: [3, 'x3'] });
  });

  it('raises the template error for missing names, like Liquid', async () => {
    await expect(renderParams('{{ steps.nope.text }}', scope)).rejects.toMatchObject({ code: 'RUN_STEP_FAILED' });
    await expect(renderParams('{{ steps.hits.hits.constructor }}', scope)).rejects.toMatchObject({ code: 'RUN_STEP_FAILED' });
  });
});
