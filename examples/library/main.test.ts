import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('examples/library', () => {
  it('runs the built example offline: a pipeline run, then composed with LCEL', () => {
    const r = spawnSync(process.execPath, [join(here, 'dist', 'main.js')], {
      encoding: 'utf8', env: { PATH: process.env.PATH ?? '', LOOM_MODEL: '', OPENAI_BASE_URL: '' }, timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      'plan: wave 1 [note] -> wave 2 [title]',
      'note: Release note: retries back off with jitter',
      'title_zh: 标题：Release note: retries back off with jitter',
      'step note: ok, 1 model call(s), 1 attempt(s)',
      'step title: ok, 1 model call(s), 1 attempt(s)',
      'events: run-start step-start model-call step-end step-start model-call step-end run-end',
      'lcel: 标题：Release note: faster CJK search',
      'batch: Release note: new loom plan command | Release note: 中文检索更快',
    ]);
  });
});
