import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';
import { loom } from '../../../test/helpers/loom-cli.js';

// One store rule for every command (core locate/store.ts): --store, else the pipeline's `store:`,
// else LOOM_STORE, else ./.loom. The retrieve step, the call cache and the run ledger all use the
// store it picks, and a missing store says which setting picked it.
let fake: FakeOpenAI;
let work: string;
const model = ['--model', 'openai:test-model'];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  work = mkdtempSync(join(tmpdir(), 'loom-cli-where-'));
  for (const [name, text] of [['a', '# Apples\n\nApples grow on trees in the orchard.\n'], ['b', '# Bananas\n\nBananas grow on plants in the orchard.\n']]) {
    mkdirSync(join(work, `docs-${name}`));
    writeFileSync(join(work, `docs-${name}`, `${name}.md`), text);
    const r = await loom(['ingest', `docs-${name}`, '--store', `kb-${name}`], { cwd: work, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
  }
  mkdirSync(join(work, 'flows'));
  writeFileSync(join(work, 'flows', 'which.yaml'), `version: 1
name: which
store: ../kb-a
models:
  default: { provider: openai, model: test-model, temperature: 0 }
inputs:
  question: { type: string, required: true }
steps:
  - id: hits
    retrieve: { query: "{{ inputs.question }}", k: 1 }
  - id: say
    prompt: { template: "Repeat: {{ steps.hits.hits[0].source }}" }
outputs:
  source: "{{ steps.hits.hits[0].source }}"
  said: "{{ steps.say.text }}"
`);
  writeFileSync(join(work, 'flows', 'nested.yaml'), `version: 1
name: nested
store: ../kb-b
inputs:
  question: { type: string, required: true }
steps:
  - id: qa
    pipeline: { use: ask, inputs: { question: "{{ inputs.question }}" } }
outputs:
  citations: "{{ steps.qa.citations }}"
`);
}, 120_000);
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

const env = () => ({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });

describe('which store', () => {
  it('--store wins over the pipeline\'s store:, and the cache and ledger go to the store that was read', { timeout: 120_000 }, async () => {
    const r = await loom(['run', 'flows/which.yaml', '--store', 'kb-b', '--input', 'question=orchard', '--json', ...model], { cwd: work, env: env(), timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outputs.source).toBe('b.md');
    expect(existsSync(join(work, 'kb-b', 'runs.sqlite'))).toBe(true);
    expect(existsSync(join(work, 'kb-a', 'runs.sqlite'))).toBe(false);
    const runs = await loom(['runs', 'list', '--store', 'kb-b', '--json'], { cwd: work });
    expect(JSON.parse(runs.stdout).map((x: { pipeline: string }) => x.pipeline)).toEqual(['which']);

    // the second run is answered from kb-b's call cache
    const again = await loom(['run', 'flows/which.yaml', '--store', 'kb-b', '--input', 'question=orchard', '--json', ...model], { cwd: work, env: env(), timeoutMs: 60_000 });
    expect(JSON.parse(again.stdout).usage.cachedCalls).toBe(1);

    // without --store the pipeline's own store is read (and gets the ledger), even with LOOM_STORE set
    const own = await loom(['run', 'flows/which.yaml', '--input', 'question=orchard', '--json', ...model], { cwd: work, env: { ...env(), LOOM_STORE: 'kb-b' }, timeoutMs: 60_000 });
    expect(JSON.parse(own.stdout).outputs.source).toBe('a.md');
    expect(existsSync(join(work, 'kb-a', 'runs.sqlite'))).toBe(true);
  });

  it('a recipe used by a pipeline reads the pipeline\'s store', { timeout: 60_000 }, async () => {
    const r = await loom(['run', 'flows/nested.yaml', '--input', 'question=Where do bananas grow?', '--json'], { cwd: work, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outputs.citations.map((c: { source: string }) => c.source)).toEqual(['b.md']);
  });

  it('a missing store names the setting that chose it', { timeout: 60_000 }, async () => {
    writeFileSync(join(work, 'flows', 'gone.yaml'), 'version: 1\nname: gone\nstore: ../kb-gone\nsteps:\n  - id: hits\n    retrieve: { query: x }\noutputs:\n  text: "{{ steps.hits.text }}"\n');
    const gone = await loom(['run', 'flows/gone.yaml'], { cwd: work });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`no store at ${join(work, 'kb-gone')} (from \`store:\` in flows/gone.yaml)`);
    expect(gone.stderr).toContain('hint: create it with: loom ingest <folder> --store kb-gone, or change `store:` in flows/gone.yaml, or pass --store to use another store');
    const fromEnv = await loom(['search', 'apples'], { cwd: work, env: { LOOM_STORE: 'nowhere' } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(`error: no store at ${join(work, 'nowhere')} (from LOOM_STORE)`);
    const fromDefault = await loom(['ask', 'apples?'], { cwd: work });
    expect(fromDefault.stderr).toContain(`error: no store at ${join(work, '.loom')} (from the default ./.loom`);
    const runs = await loom(['runs', 'list', '--store', 'kb-gone'], { cwd: work });
    expect(runs.stderr).toContain(`no store at ${join(work, 'kb-gone')} (from --store)`);
  });
});
