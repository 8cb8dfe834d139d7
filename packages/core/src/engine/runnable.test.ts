import { describe, expect, it } from 'vitest';
import { RunnableLambda, RunnableSequence } from '@langchain/core/runnables';
import { pipelineOf } from '../../test/engine-kit.js';
import { toRunnable } from './runnable.js';

const shout = pipelineOf(
  [{ id: 'up', kind: 't_echo', params: { value: '{{ inputs.text | upcase }}!' } }],
  { text: '{{ steps.up.value }}' },
  { text: { type: 'string', required: true } },
);

describe('toRunnable', () => {
  it('invokes the pipeline and returns its outputs', async () => {
    expect(await toRunnable(shout).invoke({ text: 'hi' })).toEqual({ text: 'HI!' });
  });

  it('composes with LCEL: .pipe() on both sides, RunnableSequence, and .batch()', async () => {
    const before = RunnableLambda.from((s: string) => s.trim());
    const after = RunnableLambda.from((o: Record<string, unknown>) => `<${o.text}>`);
    const chain = before.pipe(toRunnable(shout)).pipe(after);
    expect(await chain.invoke('  loom ')).toBe('<LOOM!>');
    const seq = RunnableSequence.from([toRunnable(shout), (o: Record<string, unknown>) => ({ text: String(o.text) }), toRunnable(shout)]);
    expect(await seq.invoke({ text: 'x' })).toEqual({ text: 'X!!' });
    expect(await toRunnable(shout).batch([{ text: 'a' }, { text: '中文' }, 'b'])).toEqual([{ text: 'A!' }, { text: '中文!' }, { text: 'B!' }]);
  });

  it('takes a plain string for the one input without a default, the others keeping theirs', async () => {
    const tagged = pipelineOf(
      [{ id: 'up', kind: 't_echo', params: { value: '{{ inputs.text | upcase }}/{{ inputs.lang }}/{{ inputs.k }}' } }],
      { text: '{{ steps.up.value }}' },
      { text: { type: 'string', required: true }, lang: { type: 'string', default: 'en' }, k: { type: 'number', default: 3 } },
    );
    expect(await toRunnable(tagged).invoke('hi')).toEqual({ text: 'HI/en/3' });
    const two = pipelineOf([{ id: 'e', kind: 't_echo', params: { value: 1 } }], {}, { a: { type: 'string' }, b: { type: 'string' } });
    await expect(toRunnable(two).invoke('x')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('throws the step\'s LoomError on failure, and INPUT_INVALID for bad inputs', async () => {
    const failing = pipelineOf([{ id: 'boom', kind: 't_flaky', params: { key: 'runnable', failures: 9, retryable: false } }]);
    await expect(toRunnable(failing).invoke({})).rejects.toMatchObject({ code: 'PROVIDER_RATE_LIMIT', stepId: 'boom' });
    await expect(toRunnable(shout).invoke({})).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(toRunnable(failing).invoke('text')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('passes the call\'s abort signal to the run', async () => {
    // 60 s: only the abort can end the run within the test's limit
    const slow = pipelineOf([{ id: 's', kind: 't_sleep', params: { ms: 60_000 } }]);
    const c = new AbortController();
    setTimeout(() => c.abort(), 30);
    await expect(toRunnable(slow).invoke({}, { signal: c.signal })).rejects.toBeTruthy();
  });
});
