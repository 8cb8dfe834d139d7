import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../testing/fake-github.js';
import { graphqlUrl } from './kinds/github.js';
import { SyncFixture } from './sync-test-helpers.js';

let gh: FakeGithub;
let fx: SyncFixture;
const env = { GITHUB_TOKEN: 'ghp_test' };

beforeEach(async () => {
  gh = await startFakeGithub('acme/tidewren', { perPage: 10, token: 'ghp_test' });
  fx = new SyncFixture();
  fx.writeSources(`  - name: gh\n    github: acme/tidewren\n    api: ${gh.api}\n    rate: 0\n`);
});
afterEach(async () => {
  await gh.close();
  fx.remove();
});

describe('github source', { timeout: 120_000 }, () => {
  it('syncs issues and discussions, then only what was updated since', async () => {
    for (let i = 0; i < 25; i++) gh.addIssue(`Feed ${i} stops refreshing`, `Feed ${i} stops after a 503 from the publisher.`, i % 5 === 0 ? [`Seen on feed ${i} too.`] : []);
    gh.addIssue('Bump dependencies', 'A pull request, not an issue.', [], true);
    const d = gh.addDiscussion('How do I export OPML?', 'Is there an OPML export?', ['Use `tidewren export --opml`.', 'Thanks!'], 0);
    const first = await fx.sync({ env });
    expect(first).toMatchObject({ fetched: 26, added: 26, errors: 0 });
    // 3 issue pages, 5 comment lists, 1 GraphQL page; no robots.txt for an API
    expect(first.requests).toBe(3 + 5 + 1);
    expect(gh.count('/robots.txt')).toBe(0);

    gh.requests.length = 0;
    const again = await fx.sync({ env });
    expect(again).toMatchObject({ added: 0, updated: 0, embedded: 0 });
    expect(gh.requests.map((r) => r.path)).toEqual(['/repos/acme/tidewren/issues', '/graphql']);
    expect(gh.requests[0].url).toContain('since=');

    gh.comment('issue', 3, 'Fixed in 2.4 by honouring Retry-After.');
    gh.comment('discussion', d.number, 'There is also a menu entry for it.');
    const third = await fx.sync({ env });
    expect(third).toMatchObject({ updated: 2, added: 0 });
    expect(third.embedded).toBeGreaterThan(0);
    expect(third.embedded).toBeLessThanOrEqual(4);
  });

  it('puts the accepted answer right after the question, each section linking to its comment', async () => {
    gh.addDiscussion('How do I export OPML?', 'Is there an OPML export?', ['Thanks, that helps a lot!', 'Use `tidewren export --opml` from the command line.'], 1);
    await fx.sync({ env });
    const rows = await fx.rows();
    expect(rows.map((r) => r.heading.split(' > ')[1])).toEqual(['Discussion #1 — @alice', 'Accepted answer — @carol', 'Comment 1 — @carol']);
    expect(rows[1].chunkMeta.url).toMatch(/discussions\/1#discussioncomment-\d+$/);
    expect(rows[0].meta).toMatchObject({ kind: 'discussion', author: 'alice', source_kind: 'github', url: 'https://github.example/acme/tidewren/discussions/1' });
  });

  it('without a token reads issues and says discussions are skipped', async () => {
    gh.addIssue('One issue', 'Body of the only issue in this repository.');
    gh.addDiscussion('One discussion', 'Body');
    const s = await fx.sync({ env: {} });
    expect(s).toMatchObject({ added: 1, errors: 0 });
    expect(gh.count('/graphql')).toBe(0);
    expect(fx.warnings.join('\n')).toContain('no GITHUB_TOKEN in the environment');
  });

  it('names the GraphQL endpoint of GitHub.com and of GitHub Enterprise', () => {
    expect(graphqlUrl('https://api.github.com')).toBe('https://api.github.com/graphql');
    expect(graphqlUrl('https://ghe.example/api/v3/')).toBe('https://ghe.example/api/graphql');
  });
});
