import { queryOf, send, sendJson, startServer, type FakeServer, type LoggedRequest } from './http-server.js';

export interface FakeIssue { number: number; title: string; body: string; user: { login: string }; updated_at: string; comments: { id: number; body: string; user: { login: string } }[]; pull_request?: boolean }
export interface FakeDiscussion { number: number; title: string; body: string; author: { login: string }; updatedAt: string; answer?: number; comments: { id: number; body: string; author: { login: string } }[] }

export interface FakeGithub extends FakeServer {
  /** REST base to pass as `api:` */
  api: string;
  issues: Map<number, FakeIssue>;
  discussions: Map<number, FakeDiscussion>;
  addIssue(title: string, body: string, comments?: string[], pullRequest?: boolean): FakeIssue;
  addDiscussion(title: string, body: string, comments?: string[], answer?: number): FakeDiscussion;
  comment(kind: 'issue' | 'discussion', n: number, body: string): void;
}

/**
 * GitHub's REST issues API (/repos/{o}/{r}/issues with state, since, sort=updated, per_page,
 * page and a Link header; /issues/{n}/comments) and the GraphQL discussions connection
 * (orderBy UPDATED_AT DESC, pageInfo, answer, comments). A token is required by GraphQL only.
 */
export async function startFakeGithub(repo = 'acme/tidewren', options: { perPage?: number; token?: string } = {}): Promise<FakeGithub> {
  const issues = new Map<number, FakeIssue>();
  const discussions = new Map<number, FakeDiscussion>();
  let clock = Date.parse('2026-02-01T00:00:00Z');
  let nextNumber = 1;
  let nextComment = 1000;
  const tick = () => new Date((clock += 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let base = '';
  const web = (path: string) => `https://github.example/${repo}/${path}`;
  const restIssue = (i: FakeIssue) => ({
    number: i.number, title: i.title, body: i.body, user: i.user, updated_at: i.updated_at, state: 'open', html_url: web(`issues/${i.number}`),
    comments: i.comments.length, comments_url: `${base}/repos/${repo}/issues/${i.number}/comments`, ...(i.pull_request ? { pull_request: { url: '' } } : {}),
  });
  const listIssues = (req: LoggedRequest, res: Parameters<typeof send>[0]) => {
    const q = queryOf(req);
    const per = Math.min(Number(q.get('per_page') ?? 30), options.perPage ?? 100);
    const page = Number(q.get('page') ?? 1);
    const since = q.get('since');
    const all = [...issues.values()].filter((i) => !since || i.updated_at >= since).sort((a, b) => a.updated_at.localeCompare(b.updated_at));
    const slice = all.slice((page - 1) * per, page * per);
    const next = new URL(req.url, base);
    next.searchParams.set('page', String(page + 1));
    return sendJson(res, slice.map(restIssue), page * per < all.length ? { link: `<${next.href}>; rel="next"` } : {});
  };
  const graphql = (req: LoggedRequest, res: Parameters<typeof send>[0]) => {
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, 'application/json', JSON.stringify({ message: 'Bad credentials' }));
    const { variables } = JSON.parse(req.body) as { variables: { after: string | null } };
    const all = [...discussions.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    const start = variables.after ? Number(Buffer.from(variables.after, 'base64').toString()) : 0;
    const slice = all.slice(start, start + 50);
    const comment = (d: FakeDiscussion, c: FakeDiscussion['comments'][number]) => ({ url: web(`discussions/${d.number}#discussioncomment-${c.id}`), body: c.body, author: c.author });
    const nodes = slice.map((d) => ({
      number: d.number, title: d.title, url: web(`discussions/${d.number}`), body: d.body, updatedAt: d.updatedAt, author: d.author,
      answer: d.answer !== undefined ? comment(d, d.comments.find((c) => c.id === d.answer)!) : null,
      comments: { nodes: d.comments.map((c) => comment(d, c)) },
    }));
    const end = start + slice.length;
    return sendJson(res, { data: { repository: { discussions: { pageInfo: { hasNextPage: end < all.length, endCursor: Buffer.from(String(end)).toString('base64') }, nodes } } } });
  };
  const server = await startServer([
    (req, res) => req.path === `/repos/${repo}/issues` && listIssues(req, res),
    (req, res) => {
      const m = new RegExp(`^/repos/${repo}/issues/(\\d+)/comments$`).exec(req.path);
      const i = m ? issues.get(Number(m[1])) : undefined;
      return !!i && sendJson(res, i.comments.map((c) => ({ id: c.id, body: c.body, user: c.user, html_url: web(`issues/${i.number}#issuecomment-${c.id}`) })));
    },
    (req, res) => req.path === '/graphql' && req.method === 'POST' && graphql(req, res),
  ]);
  base = server.url;
  return Object.assign(server, {
    api: server.url,
    issues,
    discussions,
    addIssue(title: string, body: string, comments: string[] = [], pullRequest = false) {
      const i: FakeIssue = { number: nextNumber++, title, body, user: { login: 'alice' }, updated_at: tick(), comments: comments.map((c) => ({ id: nextComment++, body: c, user: { login: 'bob' } })), pull_request: pullRequest };
      issues.set(i.number, i);
      return i;
    },
    addDiscussion(title: string, body: string, comments: string[] = [], answer?: number) {
      const cs = comments.map((c) => ({ id: nextComment++, body: c, author: { login: 'carol' } }));
      const d: FakeDiscussion = { number: nextNumber++, title, body, author: { login: 'alice' }, updatedAt: tick(), comments: cs, answer: answer !== undefined ? cs[answer].id : undefined };
      discussions.set(d.number, d);
      return d;
    },
    comment(kind: 'issue' | 'discussion', n: number, body: string) {
      if (kind === 'issue') {
        const i = issues.get(n)!;
        i.comments.push({ id: nextComment++, body, user: { login: 'dave' } });
        i.updated_at = tick();
      } else {
        const d = discussions.get(n)!;
        d.comments.push({ id: nextComment++, body, author: { login: 'dave' } });
        d.updatedAt = tick();
      }
    },
  });
}
