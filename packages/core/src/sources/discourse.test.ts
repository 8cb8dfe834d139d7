import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeDiscourse, type FakeDiscourse } from '../testing/fake-discourse.js';
import { SyncFixture } from './sync-test-helpers.js';

let forum: FakeDiscourse;
let fx: SyncFixture;

function seed(n: number): void {
  for (let i = 0; i < n; i++) {
    forum.addTopic(`How do I configure feed ${i}?`, [
      { username: 'alice', text: `My feed number ${i} fails to refresh every morning. What setting controls the retry?` },
      { username: 'bob', text: `Try restarting the daemon for feed ${i}.` },
      { username: 'carol', text: `Set fetch.retry.max_attempts for feed ${i} in tidewren.yaml; that solved it.`, accepted: true },
    ], i % 2 === 0 ? 1 : 2);
  }
}

beforeEach(async () => {
  forum = await startFakeDiscourse();
  fx = new SyncFixture();
});
afterEach(async () => {
  await forum.close();
  fx.remove();
});

describe('discourse source', { timeout: 120_000 }, () => {
  it('syncs threads, then re-syncs with one list request and no embedding, then fetches only bumped topics', async () => {
    seed(70);
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n    weight: 0.7\n`);
    const first = await fx.sync();
    expect(first).toMatchObject({ fetched: 70, added: 70, errors: 0 });
    // robots.txt, 3 list pages (30 + 30 + 10), 70 topics
    expect(first.requests).toBe(1 + 3 + 70);

    forum.requests.length = 0;
    const again = await fx.sync();
    expect(again).toMatchObject({ fetched: 0, added: 0, updated: 0, embedded: 0 });
    expect(forum.requests.map((r) => r.path)).toEqual(['/robots.txt', '/latest.json']);

    forum.reply(5, 'dave', 'Also check the proxy settings for feed 5; they override the retry policy.');
    forum.reply(40, 'erin', 'Feed 40 works again after the upgrade to 2.4.');
    forum.requests.length = 0;
    const third = await fx.sync();
    expect(third).toMatchObject({ fetched: 2, updated: 2, added: 0 });
    expect(forum.count(/^\/t\/\d+\.json/)).toBe(2);
    expect(third.embedded).toBeGreaterThan(0);
    expect(third.embedded).toBeLessThanOrEqual(4);
  });

  it('stores a thread as question, accepted answer, then the rest, each chunk linking to its post', async () => {
    seed(1);
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n`);
    await fx.sync();
    const rows = await fx.rows();
    const headings = rows.map((r) => r.heading.split(' > ')[1]);
    expect(headings).toEqual(['Question — @alice', 'Accepted answer — @carol', 'Reply 2 — @bob']);
    expect(rows[1].chunkMeta.url).toBe(`${forum.url}/t/how-do-i-configure-feed-0/1/3`);
    expect(rows[0].meta).toMatchObject({ url: `${forum.url}/t/how-do-i-configure-feed-0/1`, author: 'alice', kind: 'forum', source_name: 'forum', title: 'How do I configure feed 0?' });
    expect(rows[0].meta.updated_at).toMatch(/^2026-01-01T/);
  });

  it('fetches posts past the first 20 through /t/{id}/posts.json', async () => {
    const posts = Array.from({ length: 45 }, (_, i) => ({ username: `u${i}`, text: `Post number ${i} in the long thread about webhook signatures and their rotation.` }));
    forum.addTopic('A long thread', posts);
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n`);
    await fx.sync();
    expect(forum.count(/^\/t\/1\/posts\.json/)).toBe(2);
    const text = (await fx.rows()).map((r) => r.text).join('\n');
    expect(text).toContain('Post number 44 in the long thread');
  });

  it('keeps only the listed categories, and names an unknown one with a did-you-mean', async () => {
    seed(6);
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n    categories: [help]\n`);
    expect(await fx.sync()).toMatchObject({ added: 3 });
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n    categories: [hepl]\n`);
    const bad = await fx.sync();
    expect(bad.error?.message).toContain(`${forum.url}/categories.json has no category "hepl"`);
  });

  it('removes a topic deleted between the list and the fetch, with a warning naming it', async () => {
    seed(3);
    forum.intercept((req) => {
      if (req.path === '/t/2.json') forum.deleteTopic(2);
      return false;
    });
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n`);
    const s = await fx.sync();
    expect(s).toMatchObject({ added: 2, errors: 0 });
    expect(fx.warnings.some((w) => w.includes(`${forum.url}/t/2.json`) && w.includes('gone (HTTP 404)'))).toBe(true);
  });

  it('with --full removes topics the forum no longer lists', async () => {
    seed(4);
    fx.writeSources(`  - name: forum\n    discourse: ${forum.url}\n    rate: 0\n`);
    await fx.sync();
    forum.deleteTopic(3);
    expect(await fx.sync()).toMatchObject({ removed: 0 });
    expect(await fx.sync({ full: true })).toMatchObject({ removed: 1, fetched: 0 });
  });
});
