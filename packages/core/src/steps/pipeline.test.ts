import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, pipelineOf, tracker } from '../../test/engine-kit.js';
import { runPipeline } from '../engine/run.js';
import { loadPipeline } from '../spec/load.js';
import type { RunEvent } from '../engine/types.js';
import './pipeline.js';

let root: string;

const CHILD = `version: 1
name: greet
inputs:
  who: { type: string, required: true }
steps:
  - id: hello
    t_echo: { value: "你好, {{ inputs.who }}" }
  - id: wait
    t_sleep: { ms: 5, value: "{{ steps.hello.value }}" }
outputs:
  greeting: "{{ steps.wait.value }}"
`;

const PARENT = `version: 1
name: parent
inputs:
  who: { type: string, default: world }
steps:
  - id: call
    pipeline: { use: ./parts/greet.yaml, inputs: { who: "{{ inputs.who }}" } }
  - id: recipe
    pipeline: { use: shout, inputs: { text: "{{ steps.call.greeting }}" } }
outputs:
  greeting: "{{ steps.call.greeting }}"
  shouted: "{{ steps.recipe.text }}"
`;

const RECIPE = `version: 1
name: shout
inputs:
  text: { type: string, required: true }
steps:
  - id: up
    t_echo: { value: "{{ inputs.text | upcase }}!" }
outputs:
  text: "{{ steps.up.value }}"
`;

const FAILING = `version: 1
name: failing
steps:
  - id: boom
    t_flaky: { key: child-boom, failures: 5, retryable: false }
outputs: {}
`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'loom-pipeline-step-'));
  mkdirSync(join(root, 'app', 'parts'), { recursive: true });
  mkdirSync(join(root, 'recipes'));
  writeFileSync(join(root, 'app', 'parts', 'greet.yaml'), CHILD);
  writeFileSync(join(root, 'app', 'parent.yaml'), PARENT);
  writeFileSync(join(root, 'app', 'failing.yaml'), FAILING);
  writeFileSync(join(root, 'recipes', 'shout.yaml'), RECIPE);
  writeFileSync(join(root, 'outside.yaml'), RECIPE);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pipeline step', () => {
  it('runs a child by path and a recipe by name; their outputs become the step output', async () => {
    const recipeDirs = [join(root, 'recipes')];
    const parent = await loadPipeline(join(root, 'app', 'parent.yaml'), { resolvePipelineRef: (ref) => (ref === 'shout' ? join(root, 'recipes', 'shout.yaml') : undefined) });
    const { events, listener } = collect();
    const r = await runPipeline(parent, { who: '世界' }, { recipeDirs, listeners: [listener] });
    expect(r.status).toBe('ok');
    expect(r.outputs).toEqual({ greeting: '你好, 世界', shouted: '你好, 世界!' });
    expect(r.steps.call.output).toEqual({ greeting: '你好, 世界' });
    const steps = events.filter((e): e is Extract<RunEvent, { type: 'step-end' }> => e.type === 'step-end').map((e) => e.step);
    expect(steps).toEqual(['call/hello', 'call/wait', 'call', 'recipe/up', 'recipe']);
    expect(events.filter((e) => e.type === 'run-start')).toHaveLength(1);
  });

  it('shares the global bound with the child without deadlocking at concurrency 1', async () => {
    tracker.reset();
    const parent = pipelineOf(
      [
        { id: 'a', kind: 'pipeline', params: { use: './parts/greet.yaml', inputs: { who: 'a' } } },
        { id: 'b', kind: 'pipeline', params: { use: './parts/greet.yaml', inputs: { who: 'b' } } },
      ],
      { a: '{{ steps.a.greeting }}', b: '{{ steps.b.greeting }}' },
      {},
      { dir: join(root, 'app') },
    );
    const r = await runPipeline(parent, {}, { concurrency: 1 });
    expect(r.outputs).toEqual({ a: '你好, a', b: '你好, b' });
    expect(tracker.maxInFlight).toBe(1);
  });

  it('refuses a path outside the parent folder and an unknown recipe', async () => {
    const parent = pipelineOf(
      [{ id: 'up', kind: 'pipeline', params: { use: '../outside.yaml' } }],
      {}, {}, { dir: join(root, 'app') },
    );
    const r = await runPipeline(parent);
    expect(r.error).toMatchObject({ code: 'SPEC_INVALID', stepId: 'up', message: expect.stringContaining('outside the folder') });
    parent.spec.steps[0].params.use = 'no-such-recipe';
    const r2 = await runPipeline(parent, {}, { recipeDirs: [join(root, 'recipes')] });
    expect(r2.error).toMatchObject({ code: 'SPEC_NOT_FOUND', stepId: 'up' });
  });

  it('reports a child failure on the parent step, naming the child step', async () => {
    const parent = pipelineOf([{ id: 'sub', kind: 'pipeline', params: { use: 'failing.yaml' } }], {}, {}, { dir: join(root, 'app') });
    const r = await runPipeline(parent);
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ code: 'PROVIDER_RATE_LIMIT', stepId: 'sub', retryable: false });
    expect(r.error?.message).toBe('in failing.yaml: step "boom": rate limited (call 1)');
  });

  it('stops runaway recursion at depth 8 with the chain in the message', async () => {
    const self = pipelineOf([{ id: 'again', kind: 'pipeline', params: { use: './self.yaml' } }], {}, {}, { dir: join(root, 'app'), file: join(root, 'app', 'self.yaml') });
    writeFileSync(join(root, 'app', 'self.yaml'), 'placeholder: the test loads the pipeline itself\n');
    let loads = 0;
    const r = await runPipeline(self, {}, { loadPipeline: async () => { loads++; return self; } });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/nested more than 8 deep: (self\.yaml → ){8}self\.yaml/);
    expect(loads).toBe(7);
  });
});
