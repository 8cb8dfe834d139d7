import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoomError, type LoomError } from '../errors.js';
import { loadSources } from './load.js';
import { sourcesJsonSchema } from './json-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = `version: 1
store: .loom
sources:
  - name: docs
    path: ./docs
  - name: site
    sitemap: https://docs.example.org/sitemap.xml
    include: ["/guide/**", "/zh/guide/**"]
  - name: forum
    discourse: https://forum.example.org
    categories: [help]
    weight: 0.7
  - name: discussions
    github: owner/repo
    kinds: [discussions, issues]
    api: https://api.github.com
  - name: handbook
    git: https://example.org/org/handbook.git
    ref: main
    path: docs/
`;

function load(text: string): ReturnType<typeof loadSources> {
  writeFileSync(join(dir, 'loom.sources.yaml'), text);
  return loadSources('loom.sources.yaml', dir);
}

function failure(text: string): LoomError {
  try {
    load(text);
  } catch (error) {
    if (isLoomError(error)) return error;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('sources file', { timeout: 120_000 }, () => {
  it("reads the issue's example with each kind and the schema's defaults", () => {
    const file = load(EXAMPLE);
    expect(file.sources.map((s) => `${s.name}:${s.kind}`)).toEqual(['docs:path', 'site:sitemap', 'forum:discourse', 'discussions:github', 'handbook:git']);
    expect(file.sources[0]).toMatchObject({ weight: 1, rate: 2, concurrency: 4 });
    expect(file.sources[2]).toMatchObject({ weight: 0.7, categories: ['help'] });
    expect(file.sources[4]).toMatchObject({ kind: 'git', path: 'docs/', ref: 'main' });
    expect(file.store).toBe('.loom');
  });

  it('reports every problem with file:line:col and a did-you-mean', () => {
    const err = failure(`version: 1
sources:
  - name: site
    sitemap: https://docs.example.org/sitemap.xml
    wieght: 2
  - name: forum
    discorse: https://forum.example.org
  - name: site
    path: ./docs
`);
    expect(err.code).toBe('SPEC_INVALID');
    expect(err.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['5:5 unknown-key', '6:5 missing-kind', '8:11 duplicate-id']);
    expect(err.message).toContain('loom.sources.yaml:5:5: error: sitemap source: unknown key "wieght"');
    expect(err.message).toContain('hint: did you mean "weight"?');
    expect(err.message).toContain('hint: did you mean "discourse"?');
  });

  it('refuses bad values: a URL that is not http(s), a weight of 0, a source with two kinds', () => {
    const err = failure(`version: 1
sources:
  - name: site
    sitemap: ftp://example.org/sitemap.xml
  - name: forum
    discourse: https://forum.example.org
    weight: 0
  - name: both
    sitemap: https://a.example/sitemap.xml
    github: a/b
`);
    expect(err.diagnostics.map((d) => `${d.line} ${d.code}`)).toEqual(['4 invalid-value', '7 out-of-range', '10 multiple-kinds']);
  });

  it('names a missing file with a hint', () => {
    try {
      loadSources('nope.yaml', dir);
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as LoomError).code).toBe('SPEC_NOT_FOUND');
      expect((error as LoomError).hint).toContain('loom.sources.yaml');
    }
  });
});

describe('sources JSON Schema', () => {
  it('is committed up to date (regenerate: node packages/core/scripts/gen-schema.mjs)', () => {
    const file = fileURLToPath(new URL('../../schema/sources.schema.json', import.meta.url));
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(sourcesJsonSchema(), null, 2) + '\n');
  });

  it('accepts the example and rejects a source of two kinds or an unknown key', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true, logger: false }).compile(sourcesJsonSchema());
    expect(validate(parse(EXAMPLE))).toBe(true);
    expect(validate({ version: 1, sources: [{ name: 'x', sitemap: 'https://a.example/s.xml', github: 'a/b' }] })).toBe(false);
    expect(validate({ version: 1, sources: [{ name: 'x', sitemap: 'https://a.example/s.xml', wieght: 1 }] })).toBe(false);
  });
});
