import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import { checkCitations } from '../steps/lib/citations.js';
import { toPassages } from '../steps/lib/passages.js';
import { startFakeDiscourse, type FakeDiscourse } from '../testing/fake-discourse.js';
import { docsPage, startFakeSite, type FakeSite } from '../testing/fake-site.js';
import { SyncFixture } from './sync-test-helpers.js';

let site: FakeSite;
let forum: FakeDiscourse;
let fx: SyncFixture;
const SAME = 'To rotate the webhook signing secret, run tidewren webhooks rotate-secret and update the receiver within 24 hours.';

beforeEach(async () => {
  fx = new SyncFixture();
  site = await startFakeSite({ pages: { '/guide/webhooks.html': docsPage('Rotate the webhook secret', SAME) } });
  forum = await startFakeDiscourse();
});
afterEach(async () => {
  await site.close();
  await forum.close();
  fx.remove();
});

async function search(query: string) {
  const store = await openStore(join(fx.dir, '.loom'), { readonly: true });
  try {
    return await store.search(query, { k: 5, perSource: 1 });
  } finally {
    store.close();
  }
}

describe('links back and source weights', { timeout: 120_000 }, () => {
  it('official docs (weight 1) outrank a forum post (weight 0.7) saying the same; hits and citations carry url and updated_at', async () => {
    forum.addTopic('Rotate the webhook secret', [{ username: 'alice', text: SAME }]);
    fx.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n    weight: 0.7\n`);
    await fx.sync();
    await fx.sync({ only: ['forum'] });
    const hits = await search('rotate the webhook signing secret');
    expect(hits[0].url).toBe(`${site.url}/guide/webhooks.html`);
    const post = hits.find((h) => h.url?.startsWith(forum.url));
    expect(post?.url).toBe(`${forum.url}/t/rotate-the-webhook-secret/1/1`);
    expect(post?.updated_at).toMatch(/^2026-01-01T/);

    // the same forum hit at weight 1 would tie or win: the weight is what puts the docs first
    fx.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n    weight: 3\n`);
    await fx.sync({ only: ['forum'] });
    expect((await search('rotate the webhook signing secret'))[0].url).toMatch(new RegExp(`^${forum.url}`));

    const passages = toPassages(hits);
    const checked = checkCitations('Run the rotate-secret command [1].', passages);
    expect(checked.citations[0]).toMatchObject({ n: 1, url: hits[0].url });
  });
});
