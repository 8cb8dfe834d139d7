import { describe, expect, it } from 'vitest';
import { LoomError, exitCodeFor } from './errors.js';
import { renderValue, evalCondition, templateRefs } from './spec/template.js';

describe('errors', () => {
  it('maps user mistakes to exit 1 and run failures to exit 2', () => {
    expect(exitCodeFor(new LoomError('SPEC_INVALID', 'x'))).toBe(1);
    expect(exitCodeFor(new LoomError('PROVIDER_RATE_LIMIT', 'x'))).toBe(2);
    expect(exitCodeFor(new Error('boom'))).toBe(2);
  });
});

describe('templates', () => {
  it('passes a whole-expression value with its type and interpolates the rest', async () => {
    const scope = { inputs: { q: 'hi', n: 2 }, steps: { hits: { hits: [{ text: 'a' }, { text: 'b' }] } } };
    expect(await renderValue('{{ steps.hits.hits }}', scope)).toEqual([{ text: 'a' }, { text: 'b' }]);
    expect(await renderValue('{{ inputs.n }}', scope)).toBe(2);
    expect(await renderValue('Q: {{ inputs.q }} ({{ inputs.n }})', scope)).toBe('Q: hi (2)');
    expect(await renderValue({ a: ['{{ inputs.q | upcase }}'] }, scope)).toEqual({ a: ['HI'] });
  });
  it('evaluates conditions and refuses prototype access', async () => {
    expect(await evalCondition("{{ inputs.lang == 'zh' }}", { inputs: { lang: 'zh' } })).toBe(true);
    expect(await evalCondition("{{ inputs.lang == 'zh' }}", { inputs: { lang: 'en' } })).toBe(false);
    await expect(renderValue('{{ inputs.constructor }}', { inputs: {} })).rejects.toThrow(/undefined variable/);
  });
  it('lists referenced variables', () => {
    expect(templateRefs('{{ steps.a.hits | size }} {{ inputs.q }}')).toEqual([['steps', 'a', 'hits'], ['inputs', 'q']]);
  });
});
