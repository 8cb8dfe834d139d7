import { LoomError } from '../../errors.js';
import type { SourceRun } from '../context.js';
import type { GetOptions } from '../http.js';
import type { GithubSource } from '../schema.js';
import type { SyncDocument } from '../sink.js';

interface User { login?: string }
interface Issue { number: number; title: string; body: string | null; html_url: string; user?: User; updated_at: string; comments: number; comments_url: string; pull_request?: unknown }
interface Comment { body: string | null; html_url: string; user?: User }
interface Discussion {
  number: number; title: string; url: string; body: string; updatedAt: string; author?: User | null;
  answer?: { url: string; body: string; author?: User | null } | null;
  comments?: { nodes?: { url: string; body: string; author?: User | null }[] };
}

interface DiscussionPage { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Discussion[] }
interface GraphqlAnswer { data?: { repository?: { discussions?: DiscussionPage } | null }; errors?: { message: string }[] }

const DISCUSSIONS_QUERY = `query($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    discussions(first: 50, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { number title url body updatedAt author { login }
        answer { url body author { login } }
        comments(first: 50) { nodes { url body author { login } } } }
    }
  }
}`;

/**
 * GitHub issues (REST, `since` = the newest updated_at already synced, oldest first so the
 * cursor can move as pages are stored) and Discussions (GraphQL, newest updated first until
 * one older than the cursor). Pull requests are left out. The token comes from `token_env`.
 */
export async function syncGithub(run: SourceRun<GithubSource>): Promise<void> {
  const token = run.env[run.source.token_env];
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  if (token) headers.authorization = `Bearer ${token}`;
  else run.warn(run.source.api, `no ${run.source.token_env} in the environment: issues are read unauthenticated (60 requests an hour)${run.source.kinds.includes('discussions') ? ', discussions are skipped (GraphQL needs a token)' : ''}`);
  const get: GetOptions = { headers, robots: false };
  if (run.source.kinds.includes('issues')) await syncIssues(run, get);
  if (run.source.kinds.includes('discussions') && token) await syncDiscussions(run, get);
  await run.sink.flush();
}

async function syncIssues(run: SourceRun<GithubSource>, get: GetOptions): Promise<void> {
  const since = run.full ? undefined : run.sink.getState<string>('issues_since');
  const params = new URLSearchParams({ state: 'all', sort: 'updated', direction: 'asc', per_page: '100' });
  if (since) params.set('since', since);
  let url: string | undefined = `${run.source.api.replace(/\/+$/, '')}/repos/${run.source.github}/issues?${params}`;
  const listed = new Set<string>();
  while (url) {
    const { value, response } = await run.http.json<Issue[]>(url, get);
    if (!Array.isArray(value)) throw new LoomError('SYNC_SOURCE_FAILED', `${url}: expected a list of issues${response.gone ? ` (HTTP ${response.status}: is ${run.source.github} right, and can the token read it?)` : ''}`);
    for (const issue of value.filter((i) => !i.pull_request)) {
      listed.add(`issue/${issue.number}`);
      await syncIssue(run, issue, get);
      run.sink.setState('issues_since', issue.updated_at);
    }
    url = nextLink(response.headers.get('link'));
  }
  if (run.full) await removeUnlisted(run, 'issue/', listed);
}

async function syncIssue(run: SourceRun<GithubSource>, issue: Issue, get: GetOptions): Promise<void> {
  run.counts.fetched++;
  const comments: Comment[] = [];
  let url: string | undefined = issue.comments > 0 ? `${issue.comments_url}?per_page=100` : undefined;
  while (url) {
    const { value, response } = await run.http.json<Comment[]>(url, get);
    comments.push(...(Array.isArray(value) ? value : []));
    url = nextLink(response.headers.get('link'));
  }
  const sections = [{ label: `Issue #${issue.number}`, url: issue.html_url, body: issue.body, author: issue.user?.login }, ...comments.map((c, i) => ({ label: `Comment ${i + 1}`, url: c.html_url, body: c.body, author: c.user?.login }))];
  await run.sink.put(thread(`issue/${issue.number}`, 'issue', issue.title, issue.html_url, issue.updated_at, sections));
}

async function syncDiscussions(run: SourceRun<GithubSource>, get: GetOptions): Promise<void> {
  const cursor = run.full ? undefined : run.sink.getState<string>('discussions_since');
  const seen = run.sink.getState<Record<string, string>>('discussions') ?? {};
  run.sink.setState('discussions', seen);
  const [owner, name] = run.source.github.split('/');
  const endpoint = graphqlUrl(run.source.api);
  const listed = new Set<string>();
  let after: string | null = null;
  let newest: string | undefined;
  for (;;) {
    const body: string = JSON.stringify({ query: DISCUSSIONS_QUERY, variables: { owner, name, after } });
    const { value }: { value: GraphqlAnswer | undefined } = await run.http.json<GraphqlAnswer>(endpoint, { ...get, method: 'POST', body, headers: { ...get.headers, 'content-type': 'application/json' } });
    if (value?.errors?.length) throw new LoomError('SYNC_SOURCE_FAILED', `${endpoint}: GraphQL: ${value.errors.map((e) => e.message).join('; ')}`);
    const page: DiscussionPage | undefined = value?.data?.repository?.discussions ?? undefined;
    if (!page) throw new LoomError('SYNC_SOURCE_FAILED', `${endpoint}: no discussions in the answer (does ${run.source.github} have Discussions enabled?)`);
    let older = false;
    for (const d of page.nodes) {
      newest ??= d.updatedAt;
      if (cursor && d.updatedAt <= cursor) { older = true; break; }
      listed.add(`discussion/${d.number}`);
      if (seen[d.number] === d.updatedAt && (await run.sink.has(`discussion/${d.number}`))) { run.counts.notModified++; continue; }
      run.counts.fetched++;
      await run.sink.put(discussionDocument(d));
      seen[d.number] = d.updatedAt;
    }
    if (older || !page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  if (run.full) await removeUnlisted(run, 'discussion/', listed);
  if (newest) run.sink.setState('discussions_since', newest);
}

function discussionDocument(d: Discussion): SyncDocument {
  const sections = [{ label: `Discussion #${d.number}`, url: d.url, body: d.body, author: d.author?.login }];
  if (d.answer) sections.push({ label: 'Accepted answer', url: d.answer.url, body: d.answer.body, author: d.answer.author?.login });
  for (const [i, c] of (d.comments?.nodes ?? []).entries()) {
    if (c.url !== d.answer?.url) sections.push({ label: `Comment ${i + 1}`, url: c.url, body: c.body, author: c.author?.login });
  }
  return thread(`discussion/${d.number}`, 'discussion', d.title, d.url, d.updatedAt, sections);
}

/** One document per thread, one `##` section per post, each linking to it. GitHub bodies are Markdown already. */
function thread(id: string, kind: 'issue' | 'discussion', title: string, url: string, updatedAt: string, sections: { label: string; url: string; body: string | null; author?: string }[]): SyncDocument {
  const anchors: Record<string, string> = {};
  const parts = [`# ${title}`];
  for (const s of sections) {
    const heading = `${s.label}${s.author ? ` — @${s.author}` : ''}`;
    anchors[heading] = s.url;
    parts.push(`## ${heading}`, (s.body ?? '').replace(/\r\n/g, '\n').replace(/^#{1,6} /gm, '### ').trim());
  }
  return { id, url, title, markdown: parts.join('\n\n'), author: sections[0].author, updatedAt, kind, anchors };
}

async function removeUnlisted(run: SourceRun<GithubSource>, prefix: string, listed: Set<string>): Promise<void> {
  await run.sink.remove((await run.sink.storedIds()).filter((id) => id.startsWith(prefix) && !listed.has(id)));
}

/** REST base -> GraphQL: https://api.github.com/graphql, or https://HOST/api/graphql for GitHub Enterprise. */
export function graphqlUrl(api: string): string {
  const base = api.replace(/\/+$/, '');
  return base.endsWith('/api/v3') ? `${base.slice(0, -2)}graphql` : `${base}/graphql`;
}

/** The rel="next" URL of a Link header. */
function nextLink(link: string | null): string | undefined {
  return link?.split(',').map((part) => /<([^>]+)>;\s*rel="next"/.exec(part)?.[1]).find(Boolean);
}
