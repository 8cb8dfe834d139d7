import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixtures = resolve(here, '../../core/test/fixtures/spec');
const tmp = mkdtempSync(join(tmpdir(), 'loom-validate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function loom(args: string[], options: { env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], {
    cwd: fixtures,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...options.env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loom validate', () => {
  it('prints ok lines and exits 0 for valid files, English and Chinese', () => {
    const r = loom(['validate', 'valid-community-qa.yaml', 'valid-zh.yaml']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok: valid-community-qa.yaml (4 steps)\nok: valid-zh.yaml (4 steps)\n');
    expect(r.code).toBe(0);
  });

  it('prints every error compiler-style on stderr and exits 1', () => {
    const r = loom(['validate', 'unknown-key.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain([
      'unknown-key.yaml:6:29: error: prompt step "a": unknown key "temprature" [unknown-key]',
      '6 |     prompt: { template: hi, temprature: 0 }',
      '  |                             ^~~~~~~~~~',
      'hint: did you mean "temperature"?',
    ].join('\n'));
    expect(r.stderr.match(/\[unknown-key\]/g)).toHaveLength(3);
    expect(r.stderr).toContain('3 errors in 1 of 1 file');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('keeps going over several files; warnings alone still pass', () => {
    const r = loom(['validate', 'foreach-only.yaml', 'cycle.yaml', 'missing.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('ok: foreach-only.yaml (1 step, 1 warning)\n');
    expect(r.stderr).toContain('foreach-only.yaml:5:5: warning: step "a": as has no effect without foreach [foreach-only]');
    expect(r.stderr).toContain('cycle.yaml:8:9: error: step "c" is in a dependency cycle: c -> b -> a -> c [cycle]');
    expect(r.stderr).toContain('missing.yaml: error: no such file: ');
    expect(r.stderr).toContain('4 errors in 2 of 3 files');
    expect(loom(['validate', 'secret-in-spec.yaml']).code).toBe(0);
  });

  it('--json gives the diagnostics as data on stdout', () => {
    const r = loom(['validate', '--json', 'unknown-ref.yaml', 'valid-zh.yaml']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out[1]).toEqual({ file: 'valid-zh.yaml', ok: true, diagnostics: [] });
    expect(out[0].file).toBe('unknown-ref.yaml');
    expect(out[0].ok).toBe(false);
    expect(out[0].diagnostics[0]).toEqual({
      code: 'unknown-ref',
      message: 'step "a": unknown input "inputs.questoin"',
      line: 7,
      col: 24,
      severity: 'error',
      hint: 'did you mean inputs.question?',
    });
    expect(out[0].diagnostics.map((d: { line: number; col: number }) => [d.line, d.col])).toEqual([[7, 24], [9, 25], [9, 25], [11, 6]]);
  });

  it('reports a use: that names neither a file nor a shipped recipe', () => {
    const file = join(tmp, 'uses-missing-recipe.yaml');
    writeFileSync(file, 'version: 1\nname: uses\nsteps:\n  - id: child\n    pipeline: { use: no-such-recipe-here }\n');
    const r = loom(['validate', '--json', file]);
    expect(JSON.parse(r.stdout)[0].diagnostics.map((d: { code: string; line: number; col: number }) => [d.code, d.line, d.col])).toEqual([['unknown-pipeline', 5, 22]]);
  });

  it('does not load the model client or the store', () => {
    const trace = join(tmp, 'imports.txt');
    writeFileSync(trace, '');
    const r = loom(['validate', 'valid-community-qa.yaml'], {
      env: { LOOM_TRACE_IMPORTS: trace },
      nodeArgs: ['--import', resolve(here, 'fixtures/trace-imports.mjs')],
    });
    expect(r.code).toBe(0);
    const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    expect(urls.some((u) => u.includes('/spec/load.js'))).toBe(true);
    expect(urls.filter((u) => /@langchain\/openai|better-sqlite3|hnswlib-node|openai\/index|bullmq|ioredis/.test(u))).toEqual([]);
  });
});
