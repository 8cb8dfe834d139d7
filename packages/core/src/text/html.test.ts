import { describe, expect, it } from 'vitest';
import { chunkMarkdown } from './chunk.js';
import { htmlToMarkdownish } from './html.js';

const html = `<!doctype html><html><head><title>Guide &amp; Intro</title><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> <a href="/api">API</a></nav>
<h1>Getting <em>Started</em></h1>
<p>Hello <a href="https://example.com">world</a>, call <code>ref()</code> first.</p>
<h2 id="install">Install</h2>
<pre><code class="language-sh">npm i vue
# a comment, not a heading
</code></pre>
<ul><li>one</li><li>two</li></ul>
<script>alert('x')</script>
<h2>中文</h2><p>计算属性&nbsp;很好。</p>
<img src="x.png" alt="diagram">
</body></html>`;

describe('htmlToMarkdownish', () => {
  const { title, text } = htmlToMarkdownish(html);

  it('takes the title from <title>, else the first <h1>', () => {
    expect(title).toBe('Guide & Intro');
    expect(htmlToMarkdownish('<h1>Only <b>H1</b></h1><p>x</p>').title).toBe('Only H1');
    expect(htmlToMarkdownish('<p>no title</p>').title).toBeUndefined();
  });

  it('turns headings into # lines and <pre> into a code fence', () => {
    expect(text).toContain('# Getting Started');
    expect(text).toContain('## Install');
    expect(text).toMatch(/```\nnpm i vue\n# a comment, not a heading\n+```/);
    expect(text).toContain('Hello world, call `ref()` first.');
    expect(text).toContain('- one\n- two');
  });

  it('drops navigation, scripts, styles, images and link targets', () => {
    expect(text).not.toMatch(/Home|alert|color: red|x\.png|example\.com/);
  });

  it('feeds the Markdown chunker with the heading path intact', () => {
    const chunks = chunkMarkdown(text).chunks;
    expect(chunks.map((c) => c.heading.join(' > '))).toEqual(['Getting Started', 'Getting Started > Install', 'Getting Started > 中文']);
    expect(chunks[1].text).toContain('# a comment, not a heading');
    expect(chunks[2].text).toBe('计算属性 很好。');
  });
});
