import { describe, expect, it } from 'vitest';
import { checkAssertion, readPath } from './assertions.js';

const outputs = {
  answer: 'Set `retry.attempts` to 5 [1]. 重试次数默认为 3 [2].',
  grounded: true,
  citations: [
    { id: 'a', n: 1, source: 'en/guide/retries.md', heading: 'Retries', quote: 'x' },
    { id: 'b', n: 2, source: 'zh/guide/retries.md', heading: '重试', quote: 'y' },
  ],
};
const ctx = { outputs, totalTokens: 120 };

describe('checkAssertion', () => {
  it('reads dotted paths, including array indexes, and refuses prototype keys', () => {
    expect(readPath(outputs, 'citations.1.source')).toBe('zh/guide/retries.md');
    expect(readPath(outputs, 'citations.5.source')).toBeUndefined();
    expect(readPath(outputs, 'answer.constructor')).toBeUndefined();
  });

  it.each([
    [{ path: 'answer', contains: 'RETRY.attempts' }, true],
    [{ path: 'answer', contains: ['重试次数', '默认为 3'] }, true],
    [{ path: 'answer', contains: 'timeout' }, false],
    [{ path: 'answer', not_contains: 'sk-' }, true],
    [{ path: 'answer', not_contains: '[2]' }, false],
    [{ path: 'answer', matches: '\\[\\d+\\]' }, true],
    [{ path: 'answer', matches: '^重试' }, false],
    [{ path: 'grounded', equals: true }, true],
    [{ path: 'citations.0.n', equals: 2 }, false],
    [{ cites: 'zh/**' }, true],
    [{ cites: 'en/api/*.md' }, false],
    [{ grounded: true }, true],
    [{ grounded: false }, false],
    [{ max_tokens: 200 }, true],
    [{ max_tokens: 100 }, false],
  ])('%j -> %s', (assertion, expected) => {
    const results = checkAssertion(assertion, ctx);
    expect(results.every((r) => r.ok)).toBe(expected);
    if (!expected) expect(results.find((r) => !r.ok)?.detail).toBeTruthy();
  });

  it('fails an assertion that checks nothing instead of passing it silently', () => {
    const [r] = checkAssertion({ path: 'answer' }, ctx);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/checks nothing/);
  });

  it('reports a bad regex as a failure, not a crash', () => {
    const [r] = checkAssertion({ path: 'answer', matches: '(' }, ctx);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/invalid regex/);
  });
});
