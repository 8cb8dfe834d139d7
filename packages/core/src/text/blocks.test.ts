import { describe, expect, it } from 'vitest';
import { blockSource, parseMarkdown } from './blocks.js';
import { chunkMarkdown } from './chunk.js';
import { detectLanguageSync } from './lang.js';
import { splitSentences } from './sentences.js';
import { segmentMarkdown } from '../steps/lib/markdown-segments.js';
import { proseSentences } from '../steps/lib/passages.js';

const kinds = (src: string) => parseMarkdown(src).blocks.map((b) => b.kind);

describe('parseMarkdown: one CommonMark block model', () => {
  it('gives each block its kind and source offsets', () => {
    const src = '---\ntitle: T\n---\n# Title {#t}\n\nText `a` here.\n\n```js\nx()\n```\n\n| a | b |\n| - | - |\n| 1 | 2 |\n';
    const model = parseMarkdown(src);
    expect(model.frontMatter?.data).toEqual({ title: 'T' });
    expect(model.blocks.map((b) => [b.kind, blockSource(model, b)])).toEqual([
      ['heading', '# Title {#t}'],
      ['paragraph', 'Text `a` here.'],
      ['code', '```js\nx()\n```'],
      ['table', '| a | b |\n| - | - |\n| 1 | 2 |'],
    ]);
    expect(model.blocks[3].rows!.map((r) => [r.header, r.cells])).toEqual([[true, ['a', 'b']], [false, ['1', '2']]]);
  });

  it('reads a fence indented four spaces as code everywhere (chunker, sentences, translator, language)', () => {
    // top level: an indented code block whose lines look like a fence; in a list item: a fence
    for (const src of ['Intro text here.\n\n    ```sh\n    npm run build --watch\n    ```\n', '1. Install it:\n\n    ```sh\n    npm run build --watch\n    ```\n']) {
      expect(kinds(src)).toEqual(['paragraph', 'code']);
      expect(chunkMarkdown(src, { maxChars: 100, overlapChars: 0 }).chunks.map((c) => c.text)).toHaveLength(1);
      expect(splitSentences(src).filter((s) => s.includes('npm'))).toEqual([src.slice(src.indexOf('    ```'), -1)]);
      expect(segmentMarkdown(src).units.map((u) => u.text).join(' ')).not.toContain('npm');
      expect(proseSentences(src).join(' ')).not.toContain('npm');
    }
    // Chinese prose with a long English code block stays Chinese
    expect(detectLanguageSync('步骤：\n\n    ```sh\n    npm run build -- --watch --verbose and some more english words here\n    ```\n')).toBe('zh');
  });

  it('reads VitePress containers as markdown-it-container does', () => {
    const src = '::: info See also\nText inside.\n:::\n\n::: details\n```js\nx()\n```\n:::\n';
    const model = parseMarkdown(src);
    expect(model.blocks.map((b) => [b.kind, b.info ?? '', b.text ?? ''])).toEqual([
      ['container', 'info', 'See also'], ['paragraph', '', 'Text inside.'], ['container', '', ''],
      ['container', 'details', ''], ['code', 'js', ''], ['container', '', ''],
    ]);
  });

  it('keeps the prose of HTML blocks and drops raw HTML and tag-only lines', () => {
    const src = '<div class="api">\ntext inside\n</div>\n\n<script setup>\nconst a = 1\n</script>\n';
    const model = parseMarkdown(src);
    expect(model.blocks.map((b) => [b.kind, b.text ?? '', b.raw ?? false])).toEqual([
      ['html', '', false], ['paragraph', 'text inside', false], ['html', '', false], ['html', '', true],
    ]);
  });
});

describe('headings (issue: mangled headings in the index)', () => {
  it.each([
    ['# \\<script setup> {#script-setup}', '<script setup>'],
    ['## `watchEffect()` \\*\\* {#watcheffect}', 'watchEffect()'],
    ['### 在 `<template>` 中使用 Vnode {#using-vnodes-in-template}', '在 <template> 中使用 Vnode'],
    ['## Reactive Props Destructure <sup class="vt-badge" data-text="3.5+" /> \\*\\* {#x}', 'Reactive Props Destructure'],
    ['## [Link](https://x.org) and **bold** {#l}', 'Link and bold'],
  ])('%s -> %s', (line, text) => {
    const doc = chunkMarkdown(`${line}\n\nBody text.\n`);
    expect(doc.chunks[0].heading).toEqual([text]);
  });
});

describe('quotable sentences keep inline code whole (issue: tags erased inside backticks)', () => {
  it('keeps `<template>`, `<KeepAlive>` and `<script setup>` inside code spans, drops real tags', () => {
    const src = "`v-show` doesn't support the `<template>` element. Wrap it in `<KeepAlive>` or use <b>bold</b> `<script setup>`.\n\n- `<Teleport>` 是一个内置组件。\n";
    expect(proseSentences(src)).toEqual([
      "`v-show` doesn't support the `<template>` element.",
      'Wrap it in `<KeepAlive>` or use bold `<script setup>`.',
      '`<Teleport>` 是一个内置组件。',
    ]);
  });
});
