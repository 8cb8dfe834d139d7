import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
let work: string;

interface Spawned { code: number | null; stdout: string; stderr: string }

function loom(args: string[], cwd = work): Promise<Spawned> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: work, CI: '1', LOOM_STORE: '', LOOM_MODEL: '', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end();
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'loom-init-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('loom init', () => {
  it('writes a starter pipeline, a .loomignore and docs/ into a new folder', async () => {
    const r = await loom(['init', 'My Docs Bot']);
    expect(r.code, r.stderr).toBe(0);
    const dir = join(work, 'My Docs Bot');
    expect(r.stdout).toContain('created My Docs Bot/pipeline.yaml');
    expect(r.stdout).toContain('created My Docs Bot/.loomignore');
    expect(r.stdout).toContain('created My Docs Bot/docs/getting-started.md');
    const pipeline = readFileSync(join(dir, 'pipeline.yaml'), 'utf8');
    expect(pipeline.split('\n')[0]).toBe('# yaml-language-server: $schema=node_modules/@promptloom/core/schema/pipeline.schema.json');
    expect(pipeline).toContain('name: my-docs-bot-qa');
    expect(readFileSync(join(dir, '.loomignore'), 'utf8')).toContain('.loom/');
    const v = await loom(['validate', 'pipeline.yaml'], dir);
    expect(v.code, v.stderr).toBe(0);
  });

  it('the starter works as written: ingest docs/, then its own tests pass offline', async () => {
    const dir = join(work, 'starter');
    expect((await loom(['init', 'starter'])).code).toBe(0);
    const ingest = await loom(['ingest', 'docs'], dir);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(existsSync(join(dir, '.loom'))).toBe(true);
    const t = await loom(['test', 'pipeline.yaml'], dir);
    expect(t.stdout.trim().split('\n').pop()).toBe('2 passed, 0 failed, 0 skipped');
    expect(t.code).toBe(0);
    const run = await loom(['run', 'pipeline.yaml', '--input', 'question=How do I add my own documents?'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('loom ingest docs');
    expect(run.stdout).toContain('"source": "getting-started.md"');
  });

  it('refuses to overwrite existing files unless --force, and writes nothing', async () => {
    const dir = join(work, 'existing');
    mkdirSync(dir);
    writeFileSync(join(dir, '.loomignore'), 'mine\n');
    const r = await loom(['init'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not overwriting .loomignore');
    expect(r.stderr).toContain('--force');
    expect(existsSync(join(dir, 'pipeline.yaml'))).toBe(false);
    const forced = await loom(['init', '--force'], dir);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('replaced .loomignore');
    expect(readFileSync(join(dir, '.loomignore'), 'utf8')).not.toBe('mine\n');
  });
});
