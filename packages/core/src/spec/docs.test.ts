import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validatePipeline } from './load.js';
import { DIAGNOSTIC_CODES } from './diagnostics.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (p: string) => readFileSync(root + p, 'utf8');

describe('docs stay true', () => {
  it('every pipeline in docs/pipelines.md validates clean', async () => {
    const blocks = [...read('docs/pipelines.md').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => /^version: 1$/m.test(b));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      const r = await validatePipeline(block, { file: 'docs/pipelines.md' });
      expect(r.diagnostics, block.slice(0, 200)).toEqual([]);
    }
  });

  it('docs/errors.md lists every ErrorCode and every diagnostic code', () => {
    const doc = read('docs/errors.md');
    const errorCodes = [...read('packages/core/src/errors.ts').matchAll(/^\s*\| '([A-Z_]+)'/gm)].map((m) => m[1]);
    expect(errorCodes.length).toBeGreaterThan(20);
    for (const code of [...errorCodes, ...DIAGNOSTIC_CODES]) expect(doc, code).toContain(`| \`${code}\` |`);
  });

  it('every diagnostic code has a fixture named after it', () => {
    const fixtures = readdirSync(root + 'packages/core/test/fixtures/spec').map((f) => f.replace(/\.yaml$/, ''));
    // the first three come from files that cannot be committed as fixtures (missing, >1 MB, bad bytes): source.test.ts
    const generated = ['file-not-found', 'too-large', 'invalid-encoding'];
    for (const code of DIAGNOSTIC_CODES.filter((c) => !generated.includes(c))) {
      expect(fixtures.some((f) => f === code || f.startsWith(`${code}-`)), code).toBe(true);
    }
  });
});
