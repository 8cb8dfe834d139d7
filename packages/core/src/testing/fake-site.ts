import { createHash } from 'node:crypto';
import { send, startServer, type FakeServer } from './http-server.js';

export interface FakePage {
  html: string;
  /** sitemap <lastmod>; left out of the sitemap when undefined */
  lastmod?: string;
  contentType?: string;
  modified: Date;
}

export interface FakeSiteOptions {
  /** path -> HTML */
  pages: Record<string, string>;
  robots?: string;
  /** pages per child sitemap of the index (default 1000) */
  perSitemap?: number;
  /** write <lastmod> into the sitemaps */
  lastmod?: boolean;
}

export interface FakeSite extends FakeServer {
  pages: Map<string, FakePage>;
  setPage(path: string, html: string): void;
  deletePage(path: string): void;
  sitemapUrl: string;
}

/**
 * A static docs site: /robots.txt, /sitemap.xml (a sitemap index) naming /sitemap-N.xml, and
 * pages with ETag and Last-Modified that answer 304 to If-None-Match / If-Modified-Since.
 */
export async function startFakeSite(options: FakeSiteOptions): Promise<FakeSite> {
  const start = new Date('2026-01-01T00:00:00Z');
  const pages = new Map<string, FakePage>(Object.entries(options.pages).map(([p, html]) => [p, { html, modified: start, lastmod: options.lastmod ? start.toISOString() : undefined }]));
  const per = options.perSitemap ?? 1000;
  const paths = () => [...pages.keys()].sort();
  let clock = start.getTime();
  let base = '';
  const server = await startServer([
    (req, res) => req.path === '/robots.txt' && send(res, 200, 'text/plain', options.robots ?? 'User-agent: *\nDisallow: /private/\n'),
    (req, res) => {
      if (req.path !== '/sitemap.xml') return false;
      const n = Math.max(1, Math.ceil(pages.size / per));
      const items = Array.from({ length: n }, (_, i) => `<sitemap><loc>${base}/sitemap-${i + 1}.xml</loc></sitemap>`).join('');
      return send(res, 200, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${items}</sitemapindex>`);
    },
    (req, res) => {
      const m = /^\/sitemap-(\d+)\.xml$/.exec(req.path);
      if (!m) return false;
      const slice = paths().slice((Number(m[1]) - 1) * per, Number(m[1]) * per);
      const urls = slice.map((p) => `<url><loc>${base}${p}</loc>${pages.get(p)!.lastmod ? `<lastmod>${pages.get(p)!.lastmod}</lastmod>` : ''}</url>`).join('\n');
      return send(res, 200, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>`);
    },
    (req, res) => {
      const page = pages.get(req.path);
      if (!page) return false;
      const etag = `"${createHash('sha1').update(page.html).digest('hex').slice(0, 16)}"`;
      const lastModified = page.modified.toUTCString();
      const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
      if (req.headers['if-none-match'] === etag || (!req.headers['if-none-match'] && since >= Math.floor(page.modified.getTime() / 1000) * 1000)) {
        res.writeHead(304, { etag, 'last-modified': lastModified });
        res.end();
        return true;
      }
      return send(res, 200, page.contentType ?? 'text/html; charset=utf-8', page.html, { etag, 'last-modified': lastModified });
    },
  ]);
  base = server.url;
  return Object.assign(server, {
    pages,
    sitemapUrl: `${server.url}/sitemap.xml`,
    setPage(path: string, html: string) {
      clock += 60_000;
      const modified = new Date(clock);
      pages.set(path, { html, modified, lastmod: options.lastmod ? modified.toISOString() : undefined });
    },
    deletePage(path: string) { pages.delete(path); },
  });
}

/** A docs page with site chrome around the article (nav, footer, cookie banner) and a code block. */
export function docsPage(title: string, body: string, code = 'loom sync --only docs'): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title} | Example Docs</title></head><body>
<header><nav><a href="/">Home</a> <a href="/guide/">Guide</a> <a href="/api/">API</a></nav></header>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience. Accept all cookies?</div>
<main><article><h1>${title}</h1><p>${body}</p>
<h2>Example</h2><p>Run this command to see it work in your own project today:</p>
<pre><code class="language-sh">${code}</code></pre><p>${body} This paragraph repeats the point for the extractor, which scores longer text higher.</p></article></main>
<footer>© 2026 Example Project · Privacy · Terms · Built with a static site generator</footer></body></html>`;
}
