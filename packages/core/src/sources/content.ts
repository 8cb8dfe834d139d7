import { decodeBody, htmlToMarkdown } from './html.js';
import { mediaType, type HttpResponse } from './http.js';

/** Media types a page may have; anything else is skipped with a warning. */
export const PAGE_TYPES = ['text/html', 'application/xhtml+xml', 'text/markdown', 'text/x-markdown', 'text/plain'];

export interface PageText {
  title?: string;
  markdown: string;
  author?: string;
  warning?: string;
}

/** A fetched page as Markdown: HTML through main-content extraction, Markdown and text as they are. */
export async function pageText(res: HttpResponse): Promise<PageText> {
  const type = mediaType(res.headers.get('content-type'));
  const { text, warning } = decodeBody(res.body, res.headers.get('content-type'));
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    if (looksLikeErrorPage(text)) throw new Error(`${res.url}: an error page served with status ${res.status} (its title says so); skipped`);
    return { ...(await htmlToMarkdown(text, res.url)), warning };
  }
  return { markdown: text, warning };
}

/**
 * A "soft 404": the server says 200 but the page is an error page. Judged by the title alone,
 * so a docs page that explains an error code is not mistaken for one.
 */
function looksLikeErrorPage(html: string): boolean {
  const title = /<title[^>]*>([^<]{0,200})<\/title>/i.exec(html)?.[1]?.trim() ?? '';
  return /^(\d{3}\b|error\b|page not found|not found|internal server error|service unavailable|access denied)/i.test(title) || /\b(404|500|502|503) (error|not found)|\bpage not found\b/i.test(title);
}
