import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteDb } from '../store/sqlite.js';
import { openStore, sqliteOf } from '../store/index.js';
import { docsPage, startFakeSite, type FakeSite } from '../testing/fake-site.js';
import { syncSources, type SyncOptions } from './run.js';

let dir: string;
let site: FakeSite;
const warnings: string[] = [];
const FAST_RETRY = { attempts: 3, baseMs: 5, maxMs: 5000 };

function pages(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`/guide/page-${i}.html`] = docsPage(`Guide page ${i}`, `Topic ${i} explains how feature number ${i} behaves when the feed is refreshed.`);
  return out;
}

async function sync(extra: Partial<SyncOptions> = {}) {
  return (await syncSources({ sources: 'loom.sources.yaml', cwd: dir, retry: FAST_RETRY, onWarning: (m) => warnings.push(m), ...extra })).sources[0];
}

function writeSources(body: string): void {
  writeFileSync(join(dir, 'loom.sources.yaml'), `version: 1\nstore: .loom\nsources:\n${body}`);
}

async function chunkTexts(): Promise<{ text: string; meta: string }[]> {
  const store = await openStore(join(dir, '.loom'), { readonly: true });
  try {
    return sqliteOf(store).db.db.prepare('SELECT c.text, s.meta FROM chunks c JOIN sources s ON s.id = c.source_id').all() as { text: string; meta: string }[];
  } finally {
    store.close();
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loom-sitemap-'));
  warnings.length = 0;
});
afterEach(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sitemap source', { timeout: 120_000 }, () => {
  it('syncs a site through its sitemap index, then costs one 304 and no embedding per unchanged page', async () => {
    site = await startFakeSite({ pages: pages(25), perSitemap: 10 });
    writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
    const first = await sync();
    expect(first).toMatchObject({ fetched: 25, added: 25, errors: 0, removed: 0 });
    expect(first.embedded).toBeGreaterThan(0);
    // robots.txt + index + 3 child sitemaps + 25 pages
    expect(first.requests).toBe(1 + 1 + 3 + 25);
    expect(site.requests.length).toBe(30);

    site.requests.length = 0;
    // the source's stored documents are listed once, not once per concurrent page (that was O(n²))
    const listing = vi.spyOn(SqliteDb.prototype, 'sourcesWithKeyPrefix');
    const again = await sync();
    expect(listing).toHaveBeenCalledTimes(1);
    listing.mockRestore();
    expect(again).toMatchObject({ fetched: 0, notModified: 25, added: 0, updated: 0, removed: 0, embedded: 0 });
    expect(site.requests.filter((r) => r.path.startsWith('/guide/')).every((r) => r.headers['if-none-match'])).toBe(true);
    expect(site.requests.length).toBe(30);
  });

  it('re-embeds only a changed page and removes pages gone from the sitemap', async () => {
    site = await startFakeSite({ pages: pages(12), perSitemap: 100 });
    writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
    await sync();
    site.setPage('/guide/page-3.html', docsPage('Guide page 3', 'Rewritten: the refresh interval now defaults to fifteen minutes for every feed.'));
    site.deletePage('/guide/page-7.html');
    const s = await sync();
    expect(s).toMatchObject({ fetched: 1, notModified: 10, updated: 1, removed: 1, added: 0 });
    expect(s.embedded).toBeGreaterThan(0);
    expect(s.embedded).toBeLessThanOrEqual(3);
    const rows = await chunkTexts();
    expect(rows.some((r) => r.text.includes('fifteen minutes'))).toBe(true);
    expect(rows.some((r) => JSON.parse(r.meta).url.endsWith('/guide/page-7.html'))).toBe(false);
  });

  it('keeps the article: headings and code fences survive, navigation, footer and cookie banner do not', async () => {
    site = await startFakeSite({ pages: pages(1) });
    writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n    weight: 0.9\n`);
    await sync();
    const rows = await chunkTexts();
    const all = rows.map((r) => r.text).join('\n');
    expect(all).toContain('```sh\nloom sync --only docs\n```');
    expect(all).not.toMatch(/cookies|Privacy|Home Guide/);
    const meta = JSON.parse(rows[0].meta);
    expect(meta).toMatchObject({ url: `${site.url}/guide/page-0.html`, title: 'Guide page 0', source_name: 'site', source_kind: 'sitemap', kind: 'doc' });
  });

  it('never fetches a URL robots.txt disallows', async () => {
    site = await startFakeSite({ pages: { ...pages(2), '/private/secret.html': docsPage('Secret', 'Internal notes that robots.txt keeps out of every crawler.') } });
    writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
    const s = await sync();
    expect(site.count('/private/secret.html')).toBe(0);
    expect(s).toMatchObject({ added: 2, errors: 1 });
    expect(warnings.some((w) => w.includes('/private/secret.html') && w.includes('robots.txt'))).toBe(true);
  });

  it('applies include globs to URL paths', async () => {
    site = await startFakeSite({ pages: { ...pages(3), '/blog/post.html': docsPage('Blog', 'A blog post that the include globs leave out of the store.') } });
    writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n    include: ["/guide/**"]\n`);
    const s = await sync();
    expect(s.added).toBe(3);
    expect(site.count('/blog/post.html')).toBe(0);
  });
});
