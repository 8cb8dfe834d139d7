import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { docsPage, startFakeSite, type FakeSite } from '../testing/fake-site.js';
import { send } from '../testing/http-server.js';
import { startFakeDiscourse } from '../testing/fake-discourse.js';
import { SyncFixture } from './sync-test-helpers.js';

let site: FakeSite;
let fx: SyncFixture;
const page = (i: number) => docsPage(`Page ${i}`, `Page ${i} documents one setting of the feed reader in enough words to be an article.`);

beforeEach(async () => {
  fx = new SyncFixture();
});
afterEach(async () => {
  await site?.close();
  fx.remove();
});

/** A site whose sitemap lists two good pages and `bad`, which `route` answers. */
async function siteWith(bad: string, route: Parameters<FakeSite['intercept']>[0]): Promise<void> {
  site = await startFakeSite({ pages: { '/ok-1.html': page(1), '/ok-2.html': page(2), [bad]: page(3) } });
  site.intercept(route);
  fx.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
}

function warningFor(path: string): string {
  return fx.warnings.find((w) => w.includes(`${site.url}${path}`)) ?? `(no warning names ${path}: ${fx.warnings.join(' | ')})`;
}

describe('bad input from the network: one bad page never aborts a sync', { timeout: 120_000 }, () => {
  it('an HTML error page served with 200 is skipped with a warning', async () => {
    await siteWith('/soft-404.html', (req, res) => req.path === '/soft-404.html' && send(res, 200, 'text/html', '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>'));
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(warningFor('/soft-404.html')).toMatch(/^site: .*soft-404\.html: an error page served with status 200/);
  });

  it('a 500 is retried, then reported; the other pages are stored', async () => {
    await siteWith('/broken.html', (req, res) => req.path === '/broken.html' && send(res, 500, 'text/plain', 'boom'));
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(site.count('/broken.html')).toBe(3); // the test's retry policy: 3 attempts
    expect(warningFor('/broken.html')).toContain('HTTP 500');
  });

  it.each([
    ['with Retry-After', { 'retry-after': '1' }],
    ['without Retry-After', {}],
  ])('a 429 %s is waited out and the page is stored', async (_name, headers) => {
    let calls = 0;
    await siteWith('/busy.html', (req, res) => req.path === '/busy.html' && ++calls === 1 && send(res, 429, 'text/plain', 'slow down', headers));
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 3, errors: 0 });
    expect(site.count('/busy.html')).toBe(2);
  });

  it('a Retry-After longer than the policy allows gives up on that page at once', async () => {
    await siteWith('/later.html', (req, res) => req.path === '/later.html' && send(res, 503, 'text/plain', 'maintenance', { 'retry-after': '3600' }));
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(site.count('/later.html')).toBe(1);
    expect(warningFor('/later.html')).toContain('HTTP 503');
  });

  it('a redirect loop is cut and named', async () => {
    await siteWith('/loop-a.html', (req, res) => {
      if (req.path === '/loop-a.html') return send(res, 302, 'text/plain', '', { location: '/loop-b.html' });
      return req.path === '/loop-b.html' && send(res, 301, 'text/plain', '', { location: `${site.url}/loop-a.html` });
    });
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(warningFor('/loop-a.html')).toContain('redirect loop');
  });

  it.each([
    ['declared in Content-Length', true],
    ['streamed without a length', false],
  ])('a 50 MB page (%s) is refused at the page limit', async (_name, declared) => {
    let sent = 0;
    await siteWith('/huge.html', (req, res) => {
      if (req.path !== '/huge.html') return false;
      const block = Buffer.alloc(1 << 20, 'a');
      res.writeHead(200, { 'content-type': 'text/html', ...(declared ? { 'content-length': String(50 << 20) } : {}) });
      const pump = () => {
        while (sent < 50 << 20) {
          sent += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => { sent = Math.min(sent, 50 << 20); });
      pump();
      return true;
    });
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(warningFor('/huge.html')).toContain('larger than the 10 MB page limit');
  });

  it('a page of the wrong content type is skipped with a warning', async () => {
    await siteWith('/file.bin', (req, res) => req.path === '/file.bin' && send(res, 200, 'application/octet-stream', Buffer.from([1, 2, 3])));
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(warningFor('/file.bin')).toContain('content type application/octet-stream, expected text/html');
  });

  it('non-UTF-8 pages: a declared charset (GBK) is decoded, an undeclared Latin-1 page is read with a warning', async () => {
    const gbk = Buffer.from('3c68746d6c3e3c686561643e3c7469746c653ec5e4d6c33c2f7469746c653e3c2f686561643e3c626f64793e3c68313ec5e4d6c33c2f68313e3c703ed6d8cad4b4cecafdb5c4cafdc1bfd4dacbf9d3d0b6a9d4c4d4b4c9cfb6bccac7d2bbd1f9b5c4a1a33c2f703e3c2f626f64793e3c2f68746d6c3e', 'hex') // <h1>配置</h1><p>重试次数的数量在所有订阅源上都是一样的。</p> in GBK;
    await siteWith('/gbk.html', (req, res) => {
      if (req.path === '/gbk.html') return send(res, 200, 'text/html; charset=gbk', gbk);
      return req.path === '/ok-2.html' && send(res, 200, 'text/html', Buffer.from('<html><body><h1>Caf\xe9 cr\xe8me</h1><p>R\xe9sum\xe9 of the na\xefve fa\xe7ade settings, written in Latin-1 without a charset.</p></body></html>', 'latin1'));
    });
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 3, errors: 0 });
    const text = (await fx.rows()).map((r) => r.text).join('\n');
    expect(text).toContain('重试次数的数量在所有订阅源上都是一样的');
    expect(text).toContain('Résumé of the naïve façade');
    expect(warningFor('/ok-2.html')).toContain('not valid UTF-8 and no charset declared');
  });

  it('a sitemap index naming 50,000 sitemaps stops at max_pages, says so, and removes nothing', async () => {
    site = await startFakeSite({ pages: { '/p.html': page(0) } });
    site.intercept((req, res) => {
      if (req.path === '/sitemap.xml') {
        const items = Array.from({ length: 50_000 }, (_, i) => `<sitemap><loc>${site.url}/sm/${i}.xml</loc></sitemap>`).join('');
        return send(res, 200, 'application/xml', `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${items}</sitemapindex>`);
      }
      const m = /^\/sm\/(\d+)\.xml$/.exec(req.path);
      return !!m && send(res, 200, 'application/xml', `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>${site.url}/p.html?n=${m[1]}</loc></url></urlset>`);
    });
    fx.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n    max_pages: 5\n`);
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 5, removed: 0 });
    expect(site.count(/^\/sm\//)).toBe(5);
    expect(fx.warnings.join('\n')).toContain('names more than 5 pages (max_pages)');
  });

  it('a sitemap that is not XML fails the source with its URL; a forum list of broken JSON too', async () => {
    site = await startFakeSite({ pages: {} });
    site.intercept((req, res) => req.path === '/sitemap.xml' && send(res, 200, 'text/plain', 'Welcome to our site!'));
    fx.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
    expect((await fx.sync()).error?.message).toBe(`${site.sitemapUrl}: not a sitemap (no <urlset> or <sitemapindex>)`);

    const forum = await startFakeDiscourse();
    forum.intercept((req, res) => req.path === '/latest.json' && send(res, 200, 'application/json', '{"topic_list": {"topics": [{"id": 1,'));
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n`);
    const s = await fx.sync();
    await forum.close();
    expect(s.error?.message).toMatch(new RegExp(`^${forum.url}/latest\\.json\\?order=activity&page=0: not valid JSON`));
  });
});
