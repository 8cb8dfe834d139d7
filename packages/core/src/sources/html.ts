/**
 * A web page's main content as Markdown: linkedom builds a light DOM (no browser, no jsdom),
 * @mozilla/readability (Firefox Reader View's extractor) keeps the article and drops navigation,
 * sidebars and footers, and turndown writes Markdown in which headings stay `#` lines and code
 * blocks stay fences, so the chunker keeps heading paths and never cuts a code block.
 */
import type TurndownService from 'turndown';

/** Chrome Readability does not always recognise: consent banners and site chrome by role. */
const CHROME = [
  'script', 'style', 'noscript', 'template', 'iframe', 'svg', 'form', 'nav', 'footer', 'body > header', 'aside',
  '[role=navigation]', '[role=banner]', '[role=contentinfo]', '[aria-hidden=true]',
  '[id*=cookie i]', '[class*=cookie i]', '[id*=consent i]', '[class*=consent i]', '[class*=gdpr i]',
].join(',');

let turndown: TurndownService | undefined;

async function converter(): Promise<TurndownService> {
  if (turndown) return turndown;
  const { default: Turndown } = await import('turndown');
  const t = new Turndown({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' });
  t.addRule('fencedWithLanguage', {
    filter: (node) => node.nodeName === 'PRE',
    replacement: (_content, node) => {
      const el = node as unknown as { textContent: string; querySelector(s: string): { className?: string } | null; className?: string };
      const cls = `${el.querySelector('code')?.className ?? ''} ${el.className ?? ''}`;
      const lang = /(?:language|lang)-([\w+-]+)/.exec(cls)?.[1] ?? '';
      const code = el.textContent.replace(/\n$/, '');
      const fence = code.includes('```') ? '~~~~' : '```';
      return `\n\n${fence}${lang}\n${code}\n${fence}\n\n`;
    },
  });
  t.remove(['img', 'picture', 'video', 'audio', 'button', 'input', 'select']);
  turndown = t;
  return t;
}

export interface PageContent {
  title?: string;
  markdown: string;
  author?: string;
}

/** Main content of an HTML page as Markdown, with its title and author where the page says. */
export async function htmlToMarkdown(html: string, url: string): Promise<PageContent> {
  const { parseHTML } = await import('linkedom');
  const { Readability } = await import('@mozilla/readability');
  const { document } = parseHTML(html);
  // the article's own heading names it best; <title> often carries the site's name too
  const pageTitle = document.querySelector('main h1, article h1, h1')?.textContent?.trim() || document.querySelector('title')?.textContent?.trim() || undefined;
  for (const el of [...document.querySelectorAll(CHROME)]) el.remove();
  let article: { title?: string | null; content?: string | null; byline?: string | null } | null = null;
  try {
    // readability resolves links against the document's URL
    Object.defineProperty(document, 'documentURI', { value: url, configurable: true });
    article = new Readability(document as never, { keepClasses: true, charThreshold: 200 }).parse();
  } catch {
    article = null; // a page readability cannot handle falls back to its whole body
  }
  const body = article?.content ?? document.body?.innerHTML ?? html;
  const markdown = (await converter()).turndown(body).replace(/\n{3,}/g, '\n\n').trim();
  const h1 = /^# (.+)$/m.exec(markdown)?.[1]?.trim();
  const title = h1 ?? (pageTitle || article?.title?.trim() || undefined);
  const withTitle = title && !h1 ? `# ${title}\n\n${markdown}` : markdown;
  return { title, markdown: withTitle, author: article?.byline?.trim() || undefined };
}

/**
 * Text of a body in the charset the server or the page declares (GBK, Latin-1, Shift-JIS, …);
 * without one, UTF-8, or Windows-1252 when the bytes are not valid UTF-8 (with a warning).
 */
export function decodeBody(body: Buffer, contentType: string | null): { text: string; warning?: string } {
  const declared = /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1] ?? /<meta[^>]+charset=["']?([\w-]+)/i.exec(body.subarray(0, 2048).toString('latin1'))?.[1];
  if (declared && !/^utf-?8$/i.test(declared)) {
    try {
      return { text: new TextDecoder(declared.toLowerCase()).decode(body) };
    } catch {
      return { text: body.toString('utf8'), warning: `unknown charset "${declared}"; read as UTF-8` };
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body) };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(body), warning: `not valid UTF-8 and no charset declared; read as Windows-1252` };
  }
}

/**
 * A fragment of HTML (a forum post's `cooked` body, a comment) as Markdown, its headings pushed
 * below the `##` level the thread's own sections use, so a post cannot open a section of its own.
 */
export async function fragmentToMarkdown(html: string): Promise<string> {
  const md = (await converter()).turndown(html).replace(/\n{3,}/g, '\n\n').trim();
  return md.replace(/^#{1,6} /gm, '### ');
}
