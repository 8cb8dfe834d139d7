import type { SourceRun } from '../context.js';
import { forEachItem, globFilter } from '../context.js';
import { pageText, PAGE_TYPES } from '../content.js';
import { decodeBody } from '../html.js';
import { fetchError } from '../http.js';
import type { SitemapSource } from '../schema.js';

const SITEMAP_TYPES = ['application/xml', 'text/xml', 'text/plain', 'application/rss+xml'];
/** An index may name 50,000 sitemaps (sitemaps.org); reading more than this many is refused. */
const MAX_SITEMAPS = 1000;

interface PageState { lastmod?: string; etag?: string; lastModified?: string }
interface Entry { loc: string; lastmod?: string }

/**
 * Pages of a sitemap (or sitemap index): a page whose `lastmod` did not change costs no request;
 * the rest get a conditional GET, so an unchanged page costs one 304 and no embedding. Pages gone
 * from a completely read sitemap, or answering 404/410, leave the store.
 */
export async function syncSitemap(run: SourceRun<SitemapSource>): Promise<void> {
  const { entries, complete } = await readSitemaps(run);
  const keep = globFilter(run.source);
  const wanted = entries.filter((e) => keep(new URL(e.loc).pathname));
  const pages = run.sink.getState<Record<string, PageState>>('pages') ?? {};
  run.sink.setState('pages', pages);
  await forEachItem(run, wanted, (e) => e.loc, (e) => syncPage(run, e, pages));
  await run.sink.flush();
  if (complete) {
    const listed = new Set(wanted.map((e) => e.loc));
    const gone = (await run.sink.storedIds()).filter((id) => !listed.has(id));
    await run.sink.remove(gone);
    for (const id of gone) delete pages[id];
  }
  run.sink.setState('pages', pages);
  await run.sink.flush();
}

async function syncPage(run: SourceRun<SitemapSource>, e: Entry, pages: Record<string, PageState>): Promise<void> {
  const known = (await run.sink.has(e.loc)) ? pages[e.loc] : undefined;
  if (known && e.lastmod && known.lastmod === e.lastmod) {
    run.counts.notModified++;
    return;
  }
  const res = await run.http.get(e.loc, { accept: PAGE_TYPES, etag: known?.etag, lastModified: known?.lastModified });
  if (res.notModified) {
    run.counts.notModified++;
    pages[e.loc] = { ...known, lastmod: e.lastmod };
    return;
  }
  if (res.gone) {
    run.warn(e.loc, `${e.loc}: HTTP ${res.status}; removed from the store`);
    await run.sink.remove([e.loc]);
    delete pages[e.loc];
    return;
  }
  run.counts.fetched++;
  const page = await pageText(res);
  if (page.warning) run.warn(e.loc, `${e.loc}: ${page.warning}`);
  await run.sink.put({ id: e.loc, url: e.loc, title: page.title, markdown: page.markdown, author: page.author, updatedAt: isoOrUndefined(e.lastmod ?? res.headers.get('last-modified')), kind: 'doc' });
  pages[e.loc] = { lastmod: e.lastmod, etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined };
}

/** Every page the sitemap (and the sitemaps an index names) lists; `complete` when none failed or was cut. */
async function readSitemaps(run: SourceRun<SitemapSource>): Promise<{ entries: Entry[]; complete: boolean }> {
  const pages = new Map<string, Entry>();
  const queue = [run.source.sitemap];
  const seen = new Set<string>();
  let complete = true;
  for (let i = 0; i < queue.length; i++) {
    const url = queue[i];
    if (seen.has(url)) continue;
    seen.add(url);
    const max = run.source.max_pages;
    if (seen.size > MAX_SITEMAPS || pages.size >= max) {
      const what = pages.size >= max ? `${max} pages (max_pages)` : `${MAX_SITEMAPS} sitemaps`;
      run.warn(url, `${run.source.sitemap}: names more than ${what}; the rest (${queue.length - i} sitemaps) is not read and nothing is removed this time`);
      complete = false;
      break;
    }
    let parsed: { sitemaps: Entry[]; urls: Entry[] };
    try {
      const res = await run.http.get(url, { accept: SITEMAP_TYPES });
      if (res.gone) throw fetchError(url, `HTTP ${res.status}`, false);
      parsed = await parseSitemap(decodeBody(res.body, res.headers.get('content-type')).text).catch((e: Error) => { throw fetchError(url, e.message, false); });
    } catch (error) {
      // the top sitemap failing fails the source; a child failing is a warning, and nothing is removed
      if (i === 0) throw error;
      run.counts.errors++;
      run.warn(url, (error as Error).message);
      complete = false;
      continue;
    }
    queue.push(...parsed.sitemaps.map((s) => s.loc));
    for (const u of parsed.urls) if (pages.size < run.source.max_pages) pages.set(u.loc, u);
    if (parsed.urls.length > 0 && pages.size >= run.source.max_pages && parsed.urls.some((u) => !pages.has(u.loc))) {
      run.warn(url, `${url}: names more than ${run.source.max_pages} pages (max_pages); the rest is not read and nothing is removed this time`);
      complete = false;
      break;
    }
  }
  return { entries: [...pages.values()], complete };
}

/** <urlset> and <sitemapindex> entries, streamed (htmlparser2 in XML mode): 50,000 URLs are fine. */
export async function parseSitemap(xml: string): Promise<{ sitemaps: Entry[]; urls: Entry[] }> {
  const { Parser } = await import('htmlparser2');
  const out = { sitemaps: [] as Entry[], urls: [] as Entry[] };
  let entry: Entry | undefined;
  let field: 'loc' | 'lastmod' | undefined;
  let text = '';
  const parser = new Parser({
    onopentag(name) {
      const local = name.replace(/^.*:/, '').toLowerCase();
      if (local === 'url' || local === 'sitemap') entry = { loc: '' };
      else if (entry && (local === 'loc' || local === 'lastmod')) { field = local; text = ''; }
    },
    ontext(t) { if (field) text += t; },
    onclosetag(name) {
      const local = name.replace(/^.*:/, '').toLowerCase();
      if (entry && field && local === field) { entry[field] = text.trim(); field = undefined; }
      else if (entry && (local === 'url' || local === 'sitemap')) {
        if (/^https?:\/\//.test(entry.loc)) (local === 'url' ? out.urls : out.sitemaps).push(entry);
        entry = undefined;
      }
    },
  }, { xmlMode: true, decodeEntities: true });
  parser.end(xml);
  if (out.urls.length === 0 && out.sitemaps.length === 0 && !/<(\w+:)?(urlset|sitemapindex)\b/.test(xml)) {
    throw new Error('not a sitemap (no <urlset> or <sitemapindex>)');
  }
  return out;
}

function isoOrUndefined(value: string | null | undefined): string | undefined {
  const t = Date.parse(value ?? '');
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}
