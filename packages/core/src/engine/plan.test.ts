import { describe, expect, it } from 'vitest';
import { pipelineOf } from '../../test/engine-kit.js';
import { planPipeline } from './plan.js';
import '../steps/prompt.js';

describe('planPipeline', () => {
  const p = pipelineOf(
    [
      { id: 'q', kind: 't_echo', params: { value: '{{ inputs.q }}' } },
      { id: 'draft', kind: 'prompt', params: { template: '{{ steps.q.value }}' } },
      { id: 'each', kind: 'prompt', foreach: '{{ steps.q.value }}', params: { template: '{{ item }}' } },
      { id: 'final', kind: 'prompt', when: '{{ steps.draft.text != "" }}', params: { template: 'x' } },
      { id: 'side', kind: 't_echo', needs: ['final'], params: { value: 1 } },
    ],
    { answer: '{{ steps.final.text }}', drafts: '{{ steps.each }}' },
    { q: { type: 'string' } },
  );

  it('builds waves from template references (params, when, foreach) and needs', () => {
    const plan = planPipeline(p);
    expect(plan.waves).toEqual([['q'], ['draft', 'each'], ['final'], ['side']]);
    expect(plan.byId.get('final')!.refs).toEqual(['draft']);
    expect(plan.byId.get('side')!).toMatchObject({ refs: [], needs: ['final'], deps: ['final'] });
    expect(plan.steps.map((s) => s.id)).toEqual(['q', 'draft', 'each', 'final', 'side']);
  });

  it('marks model steps, bounds model calls and picks the streaming step', () => {
    const plan = planPipeline(p);
    expect(plan.steps.filter((s) => s.callsModel).map((s) => s.id)).toEqual(['draft', 'each', 'final']);
    expect(plan.byId.get('draft')).toMatchObject({ model: 'default', maxCalls: 1, feedsOutputs: true });
    expect(plan.byId.get('side')!.feedsOutputs).toBe(false);
    expect(plan.maxModelCalls).toBe('unbounded');
    expect(plan.streamStep).toBe('final');
    const noForeach = pipelineOf(p.spec.steps.filter((s) => s.id !== 'each'), { answer: '{{ steps.final.text }}' }, p.spec.inputs);
    expect(planPipeline(noForeach).maxModelCalls).toBe(2);
  });

  it('names the steps of a cycle', () => {
    const cyc = pipelineOf([
      { id: 'a', kind: 't_echo', params: { value: '{{ steps.c.value }}' } },
      { id: 'b', kind: 't_echo', params: { value: '{{ steps.a.value }}' } },
      { id: 'c', kind: 't_echo', needs: ['b'], params: { value: 1 } },
      { id: 'd', kind: 't_echo', params: { value: '{{ steps.c.value }}' } },
    ]);
    expect(() => planPipeline(cyc)).toThrow(/dependency cycle among steps: a → c → b → a/);
  });

  it('rejects unknown kinds and duplicate ids', () => {
    expect(() => planPipeline(pipelineOf([{ id: 'a', kind: 'nope' }]))).toThrow(/unknown step kind "nope"/);
    expect(() => planPipeline(pipelineOf([{ id: 'a', kind: 't_echo' }, { id: 'a', kind: 't_echo' }]))).toThrow(/duplicate step id/);
  });
});
