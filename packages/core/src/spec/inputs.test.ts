import { describe, expect, it } from 'vitest';
import { parseInputs, checkInputs } from './inputs.js';
import type { PipelineSpec } from './types.js';

const spec: PipelineSpec = {
  version: 1,
  name: 'inputs',
  inputs: {
    question: { type: 'string', required: true },
    k: { type: 'number', default: 6 },
    strict: { type: 'boolean' },
    tags: { type: 'array' },
    filter: { type: 'object', default: { lang: 'en' } },
    lang: { type: 'string' },
  },
  models: {},
  steps: [],
  outputs: {},
  tests: [],
};

describe('parseInputs', () => {
  it('coerces --input strings to the declared types and applies defaults', () => {
    const values = parseInputs(spec, { question: '如何配置重试？', k: '10', strict: 'yes', tags: '["a","b"]' });
    expect(values).toEqual({ question: '如何配置重试？', k: 10, strict: true, tags: ['a', 'b'], filter: { lang: 'en' }, lang: null });
  });

  it('accepts typed values from a JSON inputs file, and comma lists for arrays', () => {
    expect(parseInputs(spec, { question: 'q', k: 3, filter: { source: 'docs/**' }, tags: 'x, y' })).toMatchObject({ k: 3, filter: { source: 'docs/**' }, tags: ['x', 'y'] });
  });

  it('gives each default its own copy', () => {
    const a = parseInputs(spec, { question: 'q' });
    (a.filter as Record<string, string>).lang = 'zh';
    expect(parseInputs(spec, { question: 'q' }).filter).toEqual({ lang: 'en' });
  });

  it('reports every problem at once: type, unknown with did-you-mean, missing required', () => {
    const error = (() => {
      try {
        parseInputs(spec, { k: 'ten', strikt: 'true', filter: '[1]' });
      } catch (e) {
        return e as { code: string; message: string; hint?: string };
      }
      throw new Error('expected a throw');
    })();
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain('input "k": expected a number, got "ten"');
    expect(error.message).toContain('input "strikt": unknown input (did you mean "strict"?)');
    expect(error.message).toContain('input "filter": expected an object, got a list');
    expect(error.message).toContain('input "question": is required');
    expect(error.hint).toContain('question (string, required)');
  });

  it('refuses prototype keys as input names', () => {
    const raw = JSON.parse('{"question": "q", "__proto__": {"polluted": true}}') as Record<string, unknown>;
    const { values, problems } = checkInputs(spec.inputs, raw);
    expect(problems.map((p) => p.name)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
  });

  it('rejects bad booleans and numbers with the input named', () => {
    expect(checkInputs(spec.inputs, { question: 'q', strict: 'maybe', k: '' }).problems).toEqual([
      { name: 'strict', message: 'expected true or false, got "maybe"' },
      { name: 'k', message: 'expected a number, got ""' },
    ]);
  });
});
