import { describe, expect, it } from 'vitest';
import { reassemble, segmentMarkdown, segmentPlainText } from './markdown-segments.js';
import { checkUnit, compareProtected } from './markdown-check.js';

const DOC = [
  '---',
  'title: Retries and timeouts',
  'layout: guide',
  'tags: [retry, timeout]',
  '---',
  '',
  '# Retries and timeouts',
  '',
  'A step can be retried with `retry: {attempts: 3}`. See the',
  '[configuration guide](../guide/configuration.md "Config") or <https://example.org/docs>.',
  '',
  '```yaml',
  'steps:',
  '  - id: reply',
  '    retry: { attempts: 3, backoff_ms: 500 }  # the text here is code',
  '```',
  '',
  '- First item with <kbd>Ctrl</kbd>+<kbd>C</kbd>',
  '- [x] Done item, see https://tidewren.dev/a_b.',
  '  1. nested ordered item',
  '',
  '> Quoted note with {{ inputs.question }} inside.',
  '',
  '| Option | Meaning |',
  '| --- | --- |',
  '| `attempts` | How many tries in total |',
  '',
  '    indented code block stays',
  '',
  '<!-- a comment that stays -->',
  '中文段落，包含 `代码` 和链接[文档](https://example.org/zh)。',
  '',
  '[ref]: https://example.org/ref',
  'Text with a [reference][ref] and a footnote[^1] &amp; entity.',
].join('\n') + '\n';

describe('segmentMarkdown', () => {
  it('gives back the source byte for byte when the units come back unchanged', () => {
    const seg = segmentMarkdown(DOC);
    expect(reassemble(seg, seg.units.map((u) => u.text))).toBe(DOC);
  });

  it('never sends code, link targets, URLs, tags or front-matter keys to the model', () => {
    const seg = segmentMarkdown(DOC);
    const sent = seg.units.map((u) => u.text).join('\n');
    for (const hidden of ['backoff_ms', 'retry: {attempts: 3}', '../guide/configuration.md', 'https://', '<kbd>', 'inputs.question', 'layout', 'guide\n', 'indented code', 'a comment', '代码', '&amp;', '[ref]']) {
      expect(sent).not.toContain(hidden);
    }
    expect(sent).toContain('Retries and timeouts');
    expect(sent).toContain('How many tries in total');
    expect(sent).toContain('中文段落');
    // a wrapped paragraph is one unit, with its line break inside
    expect(seg.units.some((u) => u.text.includes('See the\n[configuration guide]⟦'))).toBe(true);
  });

  it('reassembles a translation with every protected part identical', () => {
    const seg = segmentMarkdown(DOC);
    const translated = seg.units.map((u) => `«${u.text}»`);
    const out = reassemble(seg, translated);
    expect(compareProtected(DOC, out)).toEqual([]);
    expect(out).toContain('«Retries and timeouts»');
    expect(out).toContain('    retry: { attempts: 3, backoff_ms: 500 }  # the text here is code\n```');
    expect(out).toContain('](../guide/configuration.md "Config")');
    expect(out.split('\n').slice(0, 5).join('\n')).toBe('---\ntitle: «Retries and timeouts»\nlayout: guide\ntags: [retry, timeout]\n---');
  });

  it('quotes a front-matter value that would break YAML', () => {
    const src = '---\ntitle: Intro\n---\nBody text.\n';
    const seg = segmentMarkdown(src);
    const out = reassemble(seg, seg.units.map((u) => (u.text === 'Intro' ? 'Note: intro' : u.text)));
    expect(out).toBe('---\ntitle: "Note: intro"\n---\nBody text.\n');
  });

  it('keeps glossary terms as placeholders', () => {
    const seg = segmentMarkdown('Use Tidewren with LangChain today.\n', { keep: ['Tidewren', 'LangChain'] });
    expect(seg.units[0].text).toBe('Use ⟦1⟧ with ⟦2⟧ today.');
    expect(reassemble(seg, ['用 ⟦1⟧ 和 ⟦ 2 ⟧ 今天。'])).toBe('用 Tidewren 和 LangChain 今天。\n');
  });

  it('keeps CRLF line endings', () => {
    const src = '# Title\r\n\r\nLine one\r\nline two\r\n';
    const seg = segmentMarkdown(src);
    expect(reassemble(seg, seg.units.map((u) => u.text))).toBe(src);
  });

  it('keeps VitePress container markers; only a container title is translated', () => {
    const src = ':::info See also\nRead the guide.\n:::\n\n::: warning\nCareful here.\n:::\n\n::: details Click me\n```js\nx()\n```\n:::\n';
    const seg = segmentMarkdown(src);
    expect(seg.units.map((u) => u.text)).toEqual(['See also', 'Read the guide.', 'Careful here.', 'Click me']);
    const out = reassemble(seg, ['参见', '阅读指南。', '小心。', '点击']);
    expect(out).toBe(':::info 参见\n阅读指南。\n:::\n\n::: warning\n小心。\n:::\n\n::: details 点击\n```js\nx()\n```\n:::\n');
  });

  it('protects an unclosed fence to the end', () => {
    const src = 'Intro.\n\n```js\nconst x = 1;\n';
    const seg = segmentMarkdown(src);
    expect(seg.units.map((u) => u.text)).toEqual(['Intro.']);
  });
});

describe('checkUnit', () => {
  const seg = segmentMarkdown('Run `loom ask` or see [docs](https://x.org).\n');
  const unit = seg.units[0];

  it.each([
    ['运行 ⟦1⟧ 或查看[文档]⟦2⟧。', undefined],
    ['运行 ⟦1⟧ 或查看文档。', 'lost ⟦2⟧'],
    ['运行 ⟦1⟧ ⟦1⟧ 或查看[文档]⟦2⟧。', 'repeats a placeholder'],
    ['运行 ⟦1⟧ ⟦3⟧ 查看[文档]⟦2⟧。', 'has placeholders that are not in the source: ⟦3⟧'],
    ['```\n⟦1⟧⟦2⟧', 'adds a code fence'],
    ['', 'is empty'],
  ])('%s -> %s', (translated, problem) => {
    expect(checkUnit(unit, translated)).toBe(problem);
  });
});

describe('segmentPlainText', () => {
  it('splits paragraphs and protects URLs', () => {
    const src = 'First paragraph, see https://a.example/x.\n\nSecond one.\n';
    const seg = segmentPlainText(src);
    expect(seg.units.map((u) => u.text)).toEqual(['First paragraph, see ⟦1⟧.', 'Second one.']);
    expect(reassemble(seg, seg.units.map((u) => u.text))).toBe(src);
  });
});
