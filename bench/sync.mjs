#!/usr/bin/env node
// loom sync (issue 13): a first sync of 5,000 Discourse topics and 2,000 docs pages from local
// servers (rate limit off), a re-sync with nothing changed (expected: exactly one request per
// list page plus one conditional GET per site page, zero embeddings, ≤ 10% of the first sync's
// time), and a re-sync after 1% of the topics changed (only those fetched and re-embedded).
//   corepack pnpm build && node bench/sync.mjs [--topics 5000] [--pages 2000]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOPICS = arg('--topics', 5000);
const PAGES = arg('--pages', 2000);
const core = await import(join(repo, 'packages/core/dist/index.js'));
const testing = await import(join(repo, 'packages/core/dist/testing/index.js'));

const forum = await testing.startFakeDiscourse();
for (let i = 0; i < TOPICS; i++) {
  forum.addTopic(`Feed ${i} keeps failing with error ${i % 97}`, [
    { username: `user${i % 311}`, text: `Feed number ${i} fails every morning with error ${i % 97}. The log says the publisher answered 503 and the reader gave up after ${i % 5 + 1} attempts.` },
    { username: 'helper', text: `Raise fetch.retry.max_attempts for feed ${i} and check the proxy settings; error ${i % 97} usually means the publisher throttles you.`, accepted: true },
    { username: `user${(i * 7) % 311}`, text: `Same here with feed ${i}; the fix above worked after a restart.` },
  ], (i % 3) + 1);
}
const pages = {};
for (let i = 0; i < PAGES; i++) pages[`/guide/${Math.floor(i / 100)}/page-${i}.html`] = testing.docsPage(`Setting ${i}`, `Setting ${i} controls part ${i % 41} of the reader: its default, its range and how it interacts with setting ${(i * 13) % PAGES}.`, `tidewren config set setting.${i} ${i % 7}`);
const site = await testing.startFakeSite({ pages, perSitemap: 500 });

const dir = mkdtempSync(join(tmpdir(), 'loom-bench-sync-'));
writeFileSync(join(dir, 'loom.sources.yaml'), `version: 1\nstore: .loom\nsources:\n  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n    concurrency: 8\n    weight: 0.7\n  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n    concurrency: 8\n`);
const sync = async () => {
  forum.requests.length = 0;
  site.requests.length = 0;
  const t0 = performance.now();
  const s = await core.syncSources({ sources: 'loom.sources.yaml', cwd: dir });
  const seconds = (performance.now() - t0) / 1000;
  const by = Object.fromEntries(s.sources.map((x) => [x.name, x]));
  return { seconds, forum: by.forum, site: by.site, forumRequests: forum.requests.length, siteRequests: site.requests.length };
};
const line = (label, r) => console.log(`${label.padEnd(22)} ${r.seconds.toFixed(1).padStart(7)} s  forum: ${r.forumRequests} requests, ${r.forum.fetched} fetched, ${r.forum.added} added, ${r.forum.updated} updated, ${r.forum.embedded} embedded | site: ${r.siteRequests} requests, ${r.site.fetched} fetched, ${r.site.notModified} not modified, ${r.site.embedded} embedded`);

console.log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start`);
console.log(`${TOPICS} topics (${Math.ceil(TOPICS / 30)} list pages of 30), ${PAGES} pages (${Math.ceil(PAGES / 500)} child sitemaps)`);
const first = await sync();
line('first sync', first);
const again = await sync();
line('re-sync, no change', again);
const listPages = 1; // the first /latest.json page is already older than the cursor
const expectForum = 1 + listPages; // robots.txt + one list page
const expectSite = 1 + 1 + Math.ceil(PAGES / 500) + PAGES; // robots.txt, index, child sitemaps, one conditional GET per page
console.log(`  requests: forum ${again.forumRequests} (expected ${expectForum}), site ${again.siteRequests} (expected ${expectSite}); embeddings ${again.forum.embedded + again.site.embedded} (expected 0); time ${(100 * again.seconds / first.seconds).toFixed(1)}% of the first sync (goal ≤ 10%)`);
const changed = Math.max(1, Math.round(TOPICS / 100));
for (let k = 0; k < changed; k++) forum.reply(1 + Math.floor((k * TOPICS) / changed), 'late', `Update ${k}: the 2.4 release fixed this for good; no retry tuning needed any more.`);
const third = await sync();
line(`re-sync, ${changed} topics changed`, third);
console.log(`  topics fetched ${third.forum.fetched} (expected ${changed}), updated ${third.forum.updated}, chunks embedded ${third.forum.embedded}; time ${(100 * third.seconds / first.seconds).toFixed(1)}% of the first sync`);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
await forum.close();
await site.close();
rmSync(dir, { recursive: true, force: true });
