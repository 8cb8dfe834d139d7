import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const fixtures = join(here, 'fixtures', 'run');

function loom(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', CI: '1', LOOM_MODEL: '' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loom plan', () => {
  it('shows waves, model steps and the most model calls', () => {
    const r = loom('plan', join(fixtures, 'two-asks.yaml'), '--model', 'openai:test-model');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      'pipeline two-asks: 3 steps in 2 waves',
      'wave 1:',
      '  first  prompt · model default (openai:test-model)',
      '  sub  pipeline · runs ./child.yaml',
      'wave 2:',
      '  second  prompt · model default (openai:test-model) · after first',
      'model calls: at most 2',
      '(plus the calls of the pipelines run by sub: `loom plan` on those files shows them)',
      'streams: second',
      'concurrency: at most 4 steps, foreach items and model calls at once (default; --concurrency N sets it)',
      '',
    ].join('\n'));
  });

  it('shows a foreach step\'s effective concurrency and says when --concurrency caps it', () => {
    const wide = loom('plan', join(fixtures, 'wide.yaml'));
    expect(wide.code).toBe(0);
    expect(wide.stdout).toContain('  each  prompt · no model configured · for each of {{ inputs.xs }} · 8 items at once\n');
    expect(wide.stdout).toContain("concurrency: at most 8 steps, foreach items and model calls at once (default 4, raised to step each's declared concurrency");
    const capped = loom('plan', join(fixtures, 'wide.yaml'), '--concurrency', '2', '--json');
    expect(capped.code).toBe(0);
    const plan = JSON.parse(capped.stdout);
    expect(plan.steps[0].concurrency).toEqual({ declared: 8, effective: 2, cappedBy: '--concurrency 2' });
    expect(plan.concurrency).toEqual({ limit: 2, explicit: true });
    const text = loom('plan', join(fixtures, 'wide.yaml'), '--concurrency', '2');
    expect(text.stdout).toContain('2 items at once (declares 8, capped by --concurrency 2)');
  });

  it('says when no model is configured', () => {
    const r = loom('plan', join(fixtures, 'slow.yaml'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  slow  prompt · no model configured');
    expect(r.stdout).toMatch(/model calls: none: no model configured/);
  });

  it('prints the plan as JSON', () => {
    const r = loom('plan', join(fixtures, 'slow.yaml'), '--json', '--model', 'openai:m');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ pipeline: 'slow', waves: [['quick', 'slow'], ['after']], maxModelCalls: 3, streams: 'after', modelsConfigured: ['default'] });
    expect(plan.steps[2]).toMatchObject({ id: 'after', wave: 2, dependsOn: ['slow'], callsModel: true, maxCalls: 1 });
  });

  it('exits 1 with file:line:col for an invalid pipeline', () => {
    const r = loom('plan', join(fixtures, 'broken.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:5:\d+: .*inputs\.nope/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
