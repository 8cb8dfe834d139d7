import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePipeline, loadPipeline } from './load.js';
import { MAX_SPEC_BYTES, looksLikePath } from './source.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = 'version: 1\nname: enc\nsteps:\n  - id: a\n    prompt: { template: hi }\n';

describe('reading pipeline files', () => {
  it('refuses files over the size limit before parsing (too-large / SPEC_TOO_LARGE)', async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, GOOD + '# ' + 'x'.repeat(MAX_SPEC_BYTES) + '\n');
    const r = await validatePipeline(file);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['too-large']);
    const error = await loadPipeline(file).catch((e) => e);
    expect(error.code).toBe('SPEC_TOO_LARGE');
    const text = await validatePipeline(GOOD + '#' + 'y'.repeat(MAX_SPEC_BYTES));
    expect(text.diagnostics.map((d) => d.code)).toEqual(['too-large']);
  });

  it('reports invalid UTF-8 at the line and column of the first bad byte', async () => {
    const file = join(dir, 'latin1.yaml');
    const head = Buffer.from('version: 1\nname: enc\ndescription: caf', 'utf8');
    writeFileSync(file, Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('\nsteps: []\n')]));
    const r = await validatePipeline(file);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['invalid-encoding', 3, 17]]);
    expect(r.diagnostics[0].message).toContain('0xe9');
  });

  it('reports UTF-16 files as such', async () => {
    const file = join(dir, 'utf16.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')]));
    const r = await validatePipeline(file);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['invalid-encoding', 1, 1]]);
    expect(r.diagnostics[0].message).toContain('UTF-16');
  });

  it('strips a UTF-8 BOM so positions still start at 1:1', async () => {
    const file = join(dir, 'bom.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('version: 2\nname: bom\nsteps:\n  - id: a\n    prompt: { template: hi }\n')]));
    const r = await validatePipeline(file);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['invalid-value', 1, 10]]);
  });

  it('tells a missing path from YAML text', async () => {
    expect(looksLikePath('pipes/qa.yaml')).toBe(true);
    expect(looksLikePath('name: x.yaml')).toBe(true);
    expect((await validatePipeline(join(dir, 'missing.yml'))).diagnostics.map((d) => d.code)).toEqual(['file-not-found']);
    // "name: x.yaml" ends like a path but is YAML text
    const r = await validatePipeline('name: x.yaml');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['missing-field', 'missing-field', 'invalid-name']);
  });

  it('names the file as the user gave it in diagnostics', async () => {
    const r = await validatePipeline('version: 1\nname: x\nsteps: []\n', { file: 'flows/x.yaml' });
    expect(r.diagnostics.map((d) => [d.file, d.code, d.line, d.col])).toEqual([['flows/x.yaml', 'out-of-range', 3, 8]]);
  });
});
