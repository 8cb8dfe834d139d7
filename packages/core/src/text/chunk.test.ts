import { describe, expect, it } from 'vitest';
import { chunkContextText, chunkMarkdown, chunkPlainText, compactUrls, cutPoint } from './chunk.js';

const page = `---
outline: deep
tags: [guide, reactivity]
---

# Computed Properties {#computed-properties}

<script setup>
import { ref } from 'vue'
const shown = ref(false)
</script>

Intro paragraph about computed properties.

## Basic Example {#basic-example}

<div class="composition-api">

Here we have declared a computed property.

</div>

\`\`\`vue{4-6}
<script setup>
const message = computed(() => 'hi')

## not a heading inside code
</script>
\`\`\`

::: tip
Computed values are cached.
:::

### Deep \`nested\` heading

Text under the deep heading.

## Watchers {#watchers}

~~~js [app.js]
watch(source, cb)
~~~
`;

describe('chunkMarkdown', () => {
  const doc = chunkMarkdown(page, { maxChars: 400, overlapChars: 50 });

  it('reads front matter and takes the title from the first H1 (anchor stripped)', () => {
    expect(doc.frontMatter).toEqual({ outline: 'deep', tags: ['guide', 'reactivity'] });
    expect(doc.title).toBe('Computed Properties');
    expect(chunkMarkdown('---\ntitle: From Front Matter\n---\n# H1\n\ntext').title).toBe('From Front Matter');
  });

  it('keeps the heading path per chunk, with VitePress anchors and inline code marks removed', () => {
    expect(doc.chunks.map((c) => c.heading.join(' > '))).toEqual([
      'Computed Properties',
      'Computed Properties > Basic Example',
      'Computed Properties > Basic Example > Deep nested heading',
      'Computed Properties > Watchers',
    ]);
  });

  it('drops <script setup> and tag-only lines outside code, keeps ::: containers and code fences', () => {
    const all = doc.chunks.map((c) => c.text).join('\n');
    expect(all).not.toContain('const shown');
    expect(all).not.toContain('<div class="composition-api">');
    expect(all).toContain('::: tip\nComputed values are cached.\n:::');
    const basic = doc.chunks[1].text;
    expect(basic).toContain('```vue{4-6}\n<script setup>');
    expect(basic).toContain('## not a heading inside code\n</script>\n```');
    expect(doc.chunks[3].text).toBe('~~~js [app.js]\nwatch(source, cb)\n~~~');
  });

  it('gives offsets into the source that span the chunk text', () => {
    for (const chunk of doc.chunks) {
      const span = page.slice(chunk.start, chunk.end);
      for (const line of chunk.text.split('\n').filter((l) => l.trim())) expect(span).toContain(line);
    }
  });

  it('never cuts a code block; an oversize one becomes its own chunk', () => {
    const code = '```ts\n' + Array.from({ length: 80 }, (_, i) => `const value${i} = compute(${i})`).join('\n') + '\n```';
    const src = `# Big\n\nBefore the code.\n\n${code}\n\nAfter the code.`;
    const chunks = chunkMarkdown(src, { maxChars: 300 }).chunks;
    expect(chunks.map((c) => c.text)).toEqual(['Before the code.', code, 'After the code.']);
  });

  // (no wall-clock bound: a quadratic cut of 50,000 lines would run into the test timeout)
  it('cuts a pathological code block (a fence never closed) at line ends', () => {
    const src = `# Dump\n\nIntro.\n\n\`\`\`\n${'a generated line of code;\n'.repeat(50_000)}`;
    const chunks = chunkMarkdown(src).chunks;
    expect(chunks.length).toBeGreaterThan(250);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(1200);
    expect(chunks.slice(1).every((c) => c.text.endsWith('a generated line of code;'))).toBe(true);
  });

  // (no wall-clock bound, by the project's rule: the cut search is confined to its window, see cutPoint)
  it('splits a 4 MB paragraph without any break', () => {
    const chunks = chunkMarkdown(`# Long\n\n${'x'.repeat(4_000_000)}`).chunks;
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(4_000_000 / 1200));
    expect(chunks.every((c) => c.text.length <= 1200 && /^[x\n]+$/.test(c.text))).toBe(true);
    expect(chunks[chunks.length - 1].end).toBe(4_000_000 + '# Long\n\n'.length);
  });

  it('packs paragraphs up to maxChars with overlap from the previous chunk in the same section', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} says something useful about reactivity. It ends here.`);
    const src = `## Section\n\n${paragraphs.join('\n\n')}\n\n## Next\n\nFresh start.`;
    const chunks = chunkMarkdown(src, { maxChars: 300, overlapChars: 40 }).chunks;
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(300);
    const inSection = chunks.filter((c) => c.heading[0] === 'Section');
    for (let i = 1; i < inSection.length; i++) {
      expect(inSection[i].text.startsWith('It ends here.')).toBe(true); // the overlap: the previous chunk's last sentence
      expect(inSection[i - 1].text.endsWith('It ends here.')).toBe(true);
    }
    expect(chunks[chunks.length - 1]).toMatchObject({ heading: ['Next'], text: 'Fresh start.' });
  });

  it('chunks Chinese text without spaces at sentence ends and never inside a surrogate pair', () => {
    const sentence = '计算属性会基于其响应式依赖被缓存𠀀😀。';
    const src = `# 计算属性\n\n${sentence.repeat(120)}`;
    const chunks = chunkMarkdown(src, { maxChars: 200, overlapChars: 30 }).chunks;
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(200);
      expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(c.text)).toBe(false);
      expect(c.heading).toEqual(['计算属性']);
    }
    expect(chunks[0].text.endsWith('。')).toBe(true);
  });

  it('survives a document with no headings, an unclosed fence and CRLF line ends', () => {
    const doc2 = chunkMarkdown('Just text.\r\n\r\n```js\r\nconst a = 1\r\nno closing fence');
    expect(doc2.title).toBeUndefined();
    expect(doc2.chunks).toHaveLength(1);
    expect(doc2.chunks[0].text).toContain('no closing fence');
  });

  it('recognises fences nested in list items, however indented', () => {
    const code = '    ```sh\n    # not a heading\n\n    npm run build -- --watch --verbose\n\n    npm run test -- --coverage --reporter dot\n    ```';
    const src = `# Steps\n\n1. Install:\n\n${code}\n\n2. Done.`;
    const chunks = chunkMarkdown(src, { maxChars: 100, overlapChars: 0 }).chunks;
    expect(chunks.every((c) => c.heading.join() === 'Steps')).toBe(true);
    expect(chunks.map((c) => c.text)).toEqual(['1. Install:', code, '2. Done.']);
  });

  it('ignores broken front matter instead of failing', () => {
    expect(chunkMarkdown('---\n: [broken\n---\n# T\n\nBody').frontMatter).toEqual({});
  });
});

describe('chunkPlainText and helpers', () => {
  it('chunks plain text on blank lines', () => {
    const text = 'First paragraph.\n\nSecond paragraph.\n\n\nThird.';
    const doc = chunkPlainText(text, { maxChars: 120 });
    expect(doc.chunks.map((c) => c.text)).toEqual(['First paragraph.\n\nSecond paragraph.\n\nThird.']);
    expect(doc.chunks[0]).toMatchObject({ heading: [], start: 0, end: text.length });
  });

  it('cuts a long line at a sentence end, else at a space', () => {
    const text = 'Short. One sentence here is longer. Another one follows and it is long';
    expect(text.slice(0, cutPoint(text, 0, 40))).toBe('Short. One sentence here is longer.');
    const words = 'alpha beta gamma delta epsilon zeta eta theta';
    expect(words.slice(0, cutPoint(words, 0, 30))).toBe('alpha beta gamma delta ');
  });

  it('cuts kilobyte playground URLs back to their address, so they neither split nor pollute chunks', () => {
    const state = 'eNp9kU1Lw0AQhv9KmFMLJR7qKaSCSg96UFGPe1nSaZqafBt2Z2MJIf/d2Y2pFUQhkHk/nneZF4zF2'.repeat(20);
    const link = `[Try it in the Playground](https://play.vuejs.org/#${state})`;
    expect(compactUrls(link)).toBe('[Try it in the Playground](https://play.vuejs.org/#…)');
    expect(compactUrls('see https://example.com/short#x')).toBe('see https://example.com/short#x');
    const chunks = chunkMarkdown(`# Demo\n\nSome text before. ${link}\n\nAfter.`, { maxChars: 300 }).chunks;
    expect(chunks).toHaveLength(1);
    expect(chunks[0].text).toBe('Some text before. [Try it in the Playground](https://play.vuejs.org/#…)\n\nAfter.');
  });

  it('puts the heading path in front of the text to embed', () => {
    const chunk = { text: 'Body.', heading: ['Guide', 'Install'], start: 0, end: 5 };
    expect(chunkContextText(chunk)).toBe('Guide > Install\n\nBody.');
    expect(chunkContextText(chunk, 'Vue Docs')).toBe('Vue Docs > Guide > Install\n\nBody.');
    expect(chunkContextText({ ...chunk, heading: [] })).toBe('Body.');
  });
});
