import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import { pipelineJsonSchema } from './json-schema.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../schema/pipeline.schema.json', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/spec/', import.meta.url));

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(pipelineJsonSchema());
}

describe('pipeline JSON Schema', () => {
  it('is committed up to date (regenerate: node packages/core/scripts/gen-schema.mjs)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(JSON.stringify(pipelineJsonSchema(), null, 2) + '\n');
  });

  it('accepts the valid English and Chinese pipelines', () => {
    const validate = validator();
    for (const name of ['valid-community-qa.yaml', 'valid-zh.yaml']) {
      const ok = validate(parse(readFileSync(FIXTURES + name, 'utf8')));
      expect(validate.errors ?? [], name).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('accepts a template where a parameter has another type, and rejects wrong plain values', () => {
    const validate = validator();
    const doc = (k: unknown) => ({ version: 1, name: 'x', steps: [{ id: 'a', retrieve: { query: 'q', k } }] });
    expect(validate(doc('{{ inputs.k }}'))).toBe(true);
    expect(validate(doc(6))).toBe(true);
    expect(validate(doc('six'))).toBe(false);
    expect(validate(doc(0))).toBe(false);
  });

  it('rejects unknown top-level keys and a bad step id', () => {
    const validate = validator();
    expect(validate({ version: 1, name: 'x', steps: [{ id: 'a', prompt: { template: 'hi' } }], stepz: [] })).toBe(false);
    expect(validate({ version: 1, name: 'x', steps: [{ id: 'A-1', prompt: { template: 'hi' } }] })).toBe(false);
  });
});
