/**
 * HTML to Markdown-ish text (html-to-text with two formatters of our own), so that an HTML page
 * goes through the same chunker as Markdown: headings become '#' lines (the chunker keeps the
 * heading path), <pre> becomes a ``` fence (never cut), links keep only their text, and
 * navigation, scripts, styles, forms and images are dropped.
 */
import { compile, type FormatCallback } from 'html-to-text';

const heading = (level: number): FormatCallback => (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(`${'#'.repeat(level)} `);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

const codeFence: FormatCallback = (elem, walk, builder) => {
  builder.openBlock({ isPre: true, leadingLineBreaks: 2 });
  builder.addLiteral('```\n');
  walk(elem.children, builder);
  builder.addLiteral('\n```');
  builder.closeBlock({ trailingLineBreaks: 2 });
};

const inlineCode: FormatCallback = (elem, walk, builder) => {
  // <pre><code> is already fenced
  if ((elem as { parent?: { name?: string } }).parent?.name === 'pre') return walk(elem.children, builder);
  builder.addLiteral('`');
  walk(elem.children, builder);
  builder.addLiteral('`');
};

const skip = (selector: string) => ({ selector, format: 'skip' });

const convert = compile({
  wordwrap: false,
  formatters: {
    h1: heading(1), h2: heading(2), h3: heading(3), h4: heading(4), h5: heading(5), h6: heading(6),
    codeFence, inlineCode,
  },
  selectors: [
    { selector: 'h1', format: 'h1' }, { selector: 'h2', format: 'h2' }, { selector: 'h3', format: 'h3' },
    { selector: 'h4', format: 'h4' }, { selector: 'h5', format: 'h5' }, { selector: 'h6', format: 'h6' },
    { selector: 'pre', format: 'codeFence' },
    { selector: 'code', format: 'inlineCode' },
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'ul', options: { itemPrefix: '- ' } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    skip('img'), skip('nav'), skip('script'), skip('style'), skip('noscript'), skip('template'), skip('form'),
    skip('button'), skip('svg'), skip('iframe'), skip('footer'),
  ],
});

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' })[e] ?? '');
}

/** `title` from <title> (else the first <h1>); `text` with '#' headings and ``` code fences. */
export function htmlToMarkdownish(html: string): { title?: string; text: string } {
  const titleMatch = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html) ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html);
  const title = titleMatch ? decodeEntities(titleMatch[1].replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim() || undefined : undefined;
  const text = safeConvert(html).replace(/\u00a0/g, ' ').replace(/\n{3,}/g, '\n\n').trim();
  return { title, text };
}

/**
 * html-to-text walks the DOM recursively: 100,000 nested <div>s (a hostile page) overflow the
 * stack. Such a page still gives its text, through plain tag stripping.
 */
function safeConvert(html: string): string {
  try {
    return convert(html);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const stripped = html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<(br|\/p|\/div|\/li|\/h[1-6])\b[^>]*>/gi, '\n').replace(/<[^>]*>/g, ' ');
    return decodeEntities(stripped).replace(/[ \t]+/g, ' ').replace(/ *\n */g, '\n');
  }
}
