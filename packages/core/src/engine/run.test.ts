import { beforeEach, describe, expect, it } from 'vitest';
import { collect, fakeModel, pipelineOf, tracker } from '../../test/engine-kit.js';
import { runPipeline } from './run.js';
import type { RunEvent } from './types.js';

beforeEach(() => tracker.reset());

const sleep = (id: string, ms: number, value: unknown = id, extra: object = {}) => ({ id, kind: 't_sleep', params: { ms, value }, ...extra });

function startOf(id: string) {
  return tracker.log.find((l) => l.id === id && l.event === 'start')!.at;
}
function endOf(id: string) {
  return tracker.log.find((l) => l.id === id && l.event === 'end')!.at;
}

describe('ordering and concurrency', () => {
  it('runs a step only after every step it references (and needs) has finished', async () => {
    const p = pipelineOf(
      [
        { id: 'd', kind: 't_sleep', params: { ms: 5, value: '{{ steps.b.value }}+{{ steps.c.value }}' } },
        { id: 'b', kind: 't_sleep', params: { ms: 30, value: '{{ steps.a.value }}b' } },
        { id: 'c', kind: 't_sleep', params: { ms: 10, value: '{{ steps.a.value }}c' } },
        sleep('a', 20, 'a'),
        { ...sleep('e', 5), needs: ['d'] },
      ],
      { out: '{{ steps.d.value }}' },
    );
    const r = await runPipeline(p, {});
    expect(r.status).toBe('ok');
    expect(r.outputs.out).toBe('ab+ac');
    expect(startOf('b')).toBeGreaterThanOrEqual(endOf('a'));
    expect(startOf('c')).toBeGreaterThanOrEqual(endOf('a'));
    expect(startOf('d')).toBeGreaterThanOrEqual(Math.max(endOf('b'), endOf('c')));
    expect(startOf('e')).toBeGreaterThanOrEqual(endOf('d'));
    // b and c are independent: they overlap
    expect(startOf('c')).toBeLessThan(endOf('b'));
  });

  it('keeps at most `concurrency` steps in flight', async () => {
    const steps = Array.from({ length: 10 }, (_, i) => sleep(`s${i}`, 20));
    const r = await runPipeline(pipelineOf(steps), {}, { concurrency: 3 });
    expect(r.status).toBe('ok');
    expect(tracker.maxInFlight).toBe(3);
  });

  it('runs two independent steps at the same time (both in flight at once)', async () => {
    const r = await runPipeline(pipelineOf([sleep('x', 300), sleep('y', 300)]), {});
    expect(r.status).toBe('ok');
    expect(tracker.maxInFlight).toBe(2);
    expect(startOf('y')).toBeLessThan(endOf('x'));
  });

  it('rejects a cycle and a reference to an unknown step before running anything', async () => {
    const cyc = pipelineOf([
      { id: 'a', kind: 't_echo', params: { value: '{{ steps.b.value }}' } },
      { id: 'b', kind: 't_echo', params: { value: '{{ steps.a.value }}' } },
    ]);
    await expect(runPipeline(cyc)).rejects.toMatchObject({ code: 'SPEC_INVALID', message: expect.stringContaining('a → b → a') });
    const unknown = pipelineOf([{ id: 'a', kind: 't_echo', params: { value: '{{ steps.nope.value }}' } }]);
    await expect(runPipeline(unknown)).rejects.toMatchObject({ code: 'SPEC_INVALID', stepId: 'a' });
  });
});

describe('inputs and scope', () => {
  it('applies defaults and names a missing required input', async () => {
    const p = pipelineOf([{ id: 'a', kind: 't_echo', params: { value: '{{ inputs.q }}/{{ inputs.lang }}' } }], { v: '{{ steps.a.value }}' }, {
      q: { type: 'string', required: true },
      lang: { type: 'string', default: 'zh' },
    });
    expect((await runPipeline(p, { q: '你好' })).outputs.v).toBe('你好/zh');
    await expect(runPipeline(p, {})).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('"q"') });
  });

  it('never exposes the process environment to templates', async () => {
    process.env.LOOM_TEST_SECRET = 'sk-secret';
    const p = pipelineOf([{ id: 'a', kind: 't_echo', params: { value: '[{{ env.LOOM_TEST_SECRET }}]' } }], { v: '{{ steps.a.value }}' });
    const r = await runPipeline(p);
    expect(r.status).toBe('failed');
    expect(JSON.stringify(r)).not.toContain('sk-secret');
    delete process.env.LOOM_TEST_SECRET;
  });
});

describe('when', () => {
  it('skips a step whose condition is false, and the steps that reference it; outputs become null', async () => {
    const p = pipelineOf(
      [
        { id: 'a', kind: 't_echo', params: { value: 1 } },
        { id: 'zh', kind: 't_echo', when: "{{ inputs.lang == 'zh' }}", params: { value: '中文' } },
        { id: 'after', kind: 't_echo', params: { value: '{{ steps.zh.value }}!' } },
        { id: 'ordered', kind: 't_echo', needs: ['zh'], params: { value: 'runs' } },
      ],
      { zh: '{{ steps.after.value }}', a: '{{ steps.a.value }}', ordered: '{{ steps.ordered.value }}' },
      { lang: { type: 'string', default: 'en' } },
    );
    const { events, listener } = collect();
    const r = await runPipeline(p, {}, { listeners: [listener] });
    expect(r.status).toBe('ok');
    expect(r.steps.zh.status).toBe('skipped');
    expect(r.steps.after).toMatchObject({ status: 'skipped', reason: 'depends on skipped step "zh"' });
    expect(r.steps.ordered.status).toBe('ok');
    expect(r.outputs).toEqual({ zh: null, a: 1, ordered: 'runs' });
    expect(events.filter((e) => e.type === 'step-skip').map((e) => (e as { step: string }).step)).toEqual(['zh', 'after']);
    const zh = await runPipeline(p, { lang: 'zh' });
    expect(zh.outputs.zh).toBe('中文!');
  });
});

describe('foreach', () => {
  it('keeps item order, honours its own bound, and scopes the loop variable to the step', async () => {
    const items = [50, 10, 30, 5, 20, 1];
    const p = pipelineOf(
      [
        { id: 'list', kind: 't_echo', params: { value: items } },
        {
          id: 'each', kind: 't_sleep', foreach: '{{ steps.list.value }}', as: 'ms', concurrency: 2,
          params: { ms: '{{ ms }}', value: '{{ loop.index }}:{{ ms }}' },
        },
      ],
      { out: '{{ steps.each }}' },
    );
    const r = await runPipeline(p, {}, { concurrency: 8 });
    expect(r.status).toBe('ok');
    expect((r.outputs.out as { value: string }[]).map((o) => o.value)).toEqual(items.map((ms, i) => `${i + 1}:${ms}`));
    expect(tracker.maxInFlight).toBe(2);
    expect(r.steps.each.items).toBe(6);

    const leak = pipelineOf([
      { id: 'each', kind: 't_echo', foreach: '{{ inputs.xs }}', params: { value: '{{ item }}' } },
      { id: 'later', kind: 't_echo', needs: ['each'], params: { value: '{{ item }}' } },
    ], {}, { xs: { type: 'array', default: [1, 2] } });
    const bad = await runPipeline(leak);
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatchObject({ stepId: 'later' });
  });

  it('stays within the global bound and cannot deadlock at concurrency 1', async () => {
    const p = pipelineOf([
      { id: 'each', kind: 't_sleep', foreach: '{{ inputs.xs }}', concurrency: 4, params: { ms: 5, value: '{{ item }}' } },
      sleep('other', 5),
    ], { n: '{{ steps.each | size }}' }, { xs: { type: 'array', default: [1, 2, 3, 4, 5, 6] } });
    const r = await runPipeline(p, {}, { concurrency: 1 });
    expect(r.status).toBe('ok');
    expect(r.outputs.n).toBe(6);
    expect(tracker.maxInFlight).toBe(1);
  });

  it('fails naming the step when foreach is not a list', async () => {
    const p = pipelineOf([{ id: 'each', kind: 't_echo', foreach: '{{ inputs.x }}', params: { value: 1 } }], {}, { x: { type: 'string', default: 'abc' } });
    const r = await runPipeline(p);
    expect(r.error).toMatchObject({ code: 'RUN_STEP_FAILED', stepId: 'each', message: expect.stringContaining('must give a list') });
  });
});

describe('retry and timeout', () => {
  it('retries a retryable failure and waits at least Retry-After', async () => {
    const { events, listener } = collect();
    const p = pipelineOf([{ id: 'f', kind: 't_flaky', retry: { attempts: 3, backoff_ms: 1 }, params: { key: 'ra', failures: 1, retry_after_ms: 250 } }], { calls: '{{ steps.f.calls }}' });
    const t0 = performance.now();
    const r = await runPipeline(p, {}, { listeners: [listener] });
    expect(r.status).toBe('ok');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(245);
    expect(r.steps.f.attempts).toBe(2);
    expect(r.outputs.calls).toBe(2);
    const retry = events.find((e) => e.type === 'step-retry') as Extract<RunEvent, { type: 'step-retry' }>;
    expect(retry).toMatchObject({ step: 'f', attempt: 2 });
    expect(retry.delayMs).toBeGreaterThanOrEqual(250);
  });

  it('does not retry a failure marked not retryable', async () => {
    const p = pipelineOf([{ id: 'f', kind: 't_flaky', retry: { attempts: 5, backoff_ms: 1 }, params: { key: 'nr', failures: 3, retryable: false } }]);
    const r = await runPipeline(p);
    expect(r.status).toBe('failed');
    expect(r.steps.f.attempts).toBe(1);
    expect(r.error).toMatchObject({ code: 'PROVIDER_RATE_LIMIT', stepId: 'f' });
  });

  it('gives up when Retry-After is longer than max_backoff_ms', async () => {
    // A run that waited the 60 s out would hit the test timeout: the attempt count is the check.
    const p = pipelineOf([{ id: 'f', kind: 't_flaky', retry: { attempts: 5, backoff_ms: 1, max_backoff_ms: 100 }, params: { key: 'long', failures: 3, retry_after_ms: 60_000 } }]);
    const r = await runPipeline(p);
    expect(r.steps.f.attempts).toBe(1);
    expect(r.error?.hint).toContain('Retry-After');
  });

  it('times an attempt out, retries it, then fails with RUN_TIMEOUT naming the step', async () => {
    // 60 s sleeps: only the timeout can end them before the test's own limit.
    const p = pipelineOf([{ ...sleep('slow', 60_000), timeout_ms: 100, retry: { attempts: 2, backoff_ms: 1 } }]);
    const t0 = performance.now();
    const r = await runPipeline(p);
    const elapsed = performance.now() - t0;
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ code: 'RUN_TIMEOUT', stepId: 'slow', retryable: true });
    // the step is named once (stepId, printed before the message), not again inside it
    expect(r.error?.message).toBe('the attempt timed out after 100 ms (gave up after 2 attempts)');
    expect(r.steps.slow.attempts).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(195); // two attempts of at least 100 ms each
    expect(tracker.inFlight).toBe(0); // the step saw its signal abort
  });
});

describe('failure and cancellation', () => {
  it('fails the run naming the step, cancels running steps and lists every step', async () => {
    const p = pipelineOf([
      { id: 'bad', kind: 't_flaky', params: { key: 'fail-run', failures: 9, plain: true } },
      sleep('slow', 60_000), // only cancellation can end it within the test's limit
      { id: 'after', kind: 't_echo', params: { value: '{{ steps.slow.value }}' } },
    ]);
    const r = await runPipeline(p);
    expect(tracker.inFlight).toBe(0);
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ code: 'RUN_STEP_FAILED', stepId: 'bad', message: 'plain failure 1' });
    expect((r.error?.cause as Error).message).toBe('plain failure 1');
    expect(Object.keys(r.steps).sort()).toEqual(['after', 'bad', 'slow']);
    expect(r.steps.slow.status).toBe('cancelled');
    expect(r.steps.after.status).toBe('not-run');
    expect(r.notRun).toEqual(['slow', 'after']);
  });

  it('stops on the caller\'s signal: running steps are aborted, nothing new starts, notRun is listed', async () => {
    const { events, listener } = collect();
    const p = pipelineOf([
      sleep('a', 50),
      { id: 'b', kind: 't_sleep', params: { ms: 60_000, value: '{{ steps.a.value }}' } },
      { id: 'c', kind: 't_echo', params: { value: '{{ steps.b.value }}' } },
    ]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('Ctrl-C')), 150);
    const r = await runPipeline(p, {}, { signal: controller.signal, listeners: [listener] });
    expect(tracker.inFlight).toBe(0);
    expect(r.status).toBe('cancelled');
    expect(r.steps.a.status).toBe('ok');
    expect(r.steps.b.status).toBe('cancelled');
    expect(r.steps.c.status).toBe('not-run');
    const end = events.at(-1) as Extract<RunEvent, { type: 'run-end' }>;
    expect(end).toMatchObject({ type: 'run-end', status: 'cancelled', notRun: ['b', 'c'] });
    expect(tracker.inFlight).toBe(0);
  });
});

describe('events, models and streaming', () => {
  it('emits the event sequence with model calls and usage per step', async () => {
    const model = fakeModel();
    const { events, listener } = collect();
    const p = pipelineOf([
      { id: 'q', kind: 't_echo', params: { value: 'hi' } },
      { id: 'ask', kind: 't_model', params: { prompt: '{{ steps.q.value }}' } },
    ], { text: '{{ steps.ask.text }}' });
    const r = await runPipeline(p, {}, { listeners: [listener], resolveModel: async () => model });
    expect(r.outputs.text).toBe('reply 1');
    expect(events.map((e) => `${e.type}${'step' in e ? ':' + e.step : ''}`)).toEqual([
      'run-start', 'step-start:q', 'step-end:q', 'step-start:ask', 'model-call:ask', 'step-end:ask', 'run-end',
    ]);
    const end = events.find((e) => e.type === 'step-end' && e.step === 'ask') as Extract<RunEvent, { type: 'step-end' }>;
    expect(end.usage).toMatchObject({ promptTokens: 7, completionTokens: 3, calls: 1, costUsd: 0.001 });
    expect(r.usage).toMatchObject({ promptTokens: 7, completionTokens: 3, calls: 1 });
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([r.runId]));
  });

  it('retries model steps 3 times by default and passes the attempt signal to the model', async () => {
    const model = fakeModel({ fail: (n) => (n < 3 ? Object.assign(new Error('x'), { name: 'Error' }) : undefined) });
    const p = pipelineOf([{ id: 'ask', kind: 't_model', params: { prompt: 'p' } }], { t: '{{ steps.ask.text }}' });
    const r = await runPipeline(p, {}, { resolveModel: async () => model });
    expect(r.status).toBe('ok');
    expect(r.steps.ask.attempts).toBe(3);
    expect(r.steps.ask.usage.calls).toBe(3);
    expect(model.calls.every((c) => c.signal instanceof AbortSignal)).toBe(true);
  });

  it('streams tokens of the last model step feeding the outputs only', async () => {
    const model = fakeModel({ reply: (req) => `answer to ${req.messages[0].content}` });
    const tokens: string[] = [];
    const p = pipelineOf([
      { id: 'draft', kind: 't_model', params: { prompt: 'one' } },
      { id: 'final', kind: 't_model', params: { prompt: '{{ steps.draft.text }}' } },
      { id: 'side', kind: 't_model', params: { prompt: 'unused' } },
    ], { answer: '{{ steps.final.text }}' });
    const r = await runPipeline(p, {}, { resolveModel: async () => model, onToken: (t) => tokens.push(t) });
    expect(tokens.join('')).toBe(r.outputs.answer);
    expect(model.calls.filter((c) => c.onToken).map((c) => c.messages[0].content)).toEqual(['answer to one']);
  });

  it('opens stores once per directory, resolves them from the pipeline folder, closes them at the end', async () => {
    const opened: string[] = [];
    const closed: string[] = [];
    const p = pipelineOf(
      [{ id: 's1', kind: 't_store' }, { id: 's2', kind: 't_store' }, { id: 's3', kind: 't_store', params: { dir: 'other' } }],
      {}, {}, { dir: '/tmp/loom-pipe' },
    );
    p.spec.store = 'data/.loom';
    const r = await runPipeline(p, {}, {
      openStore: async (dir) => {
        opened.push(dir);
        return { dir, close: () => closed.push(dir) };
      },
    });
    expect(r.status).toBe('ok');
    expect(opened.sort()).toEqual(['/tmp/loom-pipe/data/.loom', '/tmp/loom-pipe/other']);
    expect(closed.sort()).toEqual(opened);
    expect(r.steps.s1.warnings).toEqual(['opening a store']);
  });

  it('runs every attempt through the executor, with what a remote worker needs as plain data', async () => {
    const tasks: { stepId: string; item?: number; kind?: string; params?: unknown; attempt?: number; file?: string; aborted?: boolean }[] = [];
    const p = pipelineOf([
      { id: 'a', kind: 't_echo', params: { value: '{{ inputs.xs }}' } },
      { id: 'each', kind: 't_echo', foreach: '{{ steps.a.value }}', params: { value: 'n={{ item }}' } },
    ], { out: '{{ steps.each }}' }, { xs: { type: 'array', default: [1, 2] } }, { file: '/pipelines/p.yaml' });
    const r = await runPipeline(p, {}, {
      executor: {
        execute(task) {
          tasks.push({ stepId: task.stepId, item: task.item, kind: task.kind, params: task.params, attempt: task.attempt, file: task.file, aborted: task.signal?.aborted });
          return task.run();
        },
      },
      listeners: [() => { throw new Error('a broken listener'); }],
    });
    expect(r.status).toBe('ok');
    expect(r.outputs.out).toEqual([{ value: 'n=1' }, { value: 'n=2' }]);
    expect(tasks).toEqual([
      { stepId: 'a', item: undefined, kind: 't_echo', params: { value: [1, 2] }, attempt: 1, file: '/pipelines/p.yaml', aborted: false },
      { stepId: 'each', item: 0, kind: 't_echo', params: { value: 'n=1' }, attempt: 1, file: '/pipelines/p.yaml', aborted: false },
      { stepId: 'each', item: 1, kind: 't_echo', params: { value: 'n=2' }, attempt: 1, file: '/pipelines/p.yaml', aborted: false },
    ]);
  });

  it('can stop before running anything (dry run)', async () => {
    const p = pipelineOf([sleep('a', 10)], {}, { q: { type: 'string', required: true } });
    await expect(runPipeline(p, {}, { dryRun: true })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const r = await runPipeline(p, { q: 'x' }, { dryRun: true });
    expect(r.steps.a).toMatchObject({ status: 'not-run', reason: 'dry run' });
    expect(tracker.log).toEqual([]);
  });
});
