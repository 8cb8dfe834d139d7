import { describe, expect, it } from 'vitest';
import { closest, editDistance, formatDiagnostics } from './diagnostics.js';

describe('did-you-mean', () => {
  it.each([
    ['retreive', ['retrieve', 'summarize'], 'retrieve'],
    ['timeout', ['timeout_ms', 'retry'], 'timeout_ms'],
    ['Model', ['model', 'models'], 'model'],
    ['x', ['a', 'b'], undefined],
    ['completely', ['retrieve', 'answer'], undefined],
  ])('%s -> %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it('computes edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('检索', '检查')).toBe(1);
  });
});

describe('formatDiagnostics', () => {
  const source = 'version: 1\nsteps:\n  - id: a\n    retreive: { query: hi }\n';

  it('prints file:line:col, the source line, a caret under the range and the hint', () => {
    const out = formatDiagnostics(
      [{ code: 'unknown-kind', message: 'unknown step kind "retreive"', line: 4, col: 5, range: [32, 40], hint: 'did you mean "retrieve"?' }],
      source,
      'qa.yaml',
    );
    expect(out).toBe(['qa.yaml:4:5: error: unknown step kind "retreive" [unknown-kind]', '4 |     retreive: { query: hi }', '  |     ^~~~~~~~', 'hint: did you mean "retrieve"?'].join('\n'));
  });

  it('prints warnings, diagnostics without a position, and keeps tabs in the padding', () => {
    const out = formatDiagnostics(
      [
        { code: 'too-large', message: 'too big', file: 'big.yaml' },
        { code: 'w', message: 'careful', line: 1, col: 3, severity: 'warning' },
      ],
      '\tx: 1\n',
    );
    expect(out).toBe(['big.yaml: error: too big [too-large]', '<input>:1:3: warning: careful [w]', '1 | \tx: 1', '  | \t ^'].join('\n'));
  });

  it('cuts very long lines around the column', () => {
    const line = 'a'.repeat(300) + 'BAD' + 'b'.repeat(300);
    const out = formatDiagnostics([{ code: 'c', message: 'm', line: 1, col: 301, range: [300, 303] }], line).split('\n');
    expect(out[1].length).toBeLessThan(200);
    const caret = out[2].indexOf('^');
    expect(out[1].slice(caret, caret + 3)).toBe('BAD');
  });
});
