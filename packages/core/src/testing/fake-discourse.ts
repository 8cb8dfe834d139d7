import { queryOf, sendJson, startServer, type FakeServer } from './http-server.js';

export interface FakePost { id: number; post_number: number; username: string; cooked: string; created_at: string; updated_at: string; accepted_answer?: boolean }
export interface FakeTopic { id: number; title: string; slug: string; category_id: number; bumped_at: string; posts: FakePost[]; pinned?: boolean }
export interface FakeCategory { id: number; name: string; slug: string; subcategory_ids?: number[] }

export interface FakeDiscourse extends FakeServer {
  topics: Map<number, FakeTopic>;
  /** adds a topic (or a reply to an existing one) and bumps it to now+ */
  addTopic(title: string, posts: { username: string; text: string; accepted?: boolean }[], category?: number): FakeTopic;
  reply(id: number, username: string, text: string): void;
  deleteTopic(id: number): void;
}

const PER_PAGE = 30;
/** Discourse sends the first 20 posts with the topic; the rest come from /t/{id}/posts.json. */
const POSTS_WITH_TOPIC = 20;

/**
 * A Discourse forum with the shapes of the real API: /latest.json (topic_list.topics,
 * more_topics_url, newest-bumped first, 30 a page), /t/{id}.json (post_stream.posts and .stream,
 * accepted_answer of the Solved plugin), /t/{id}/posts.json?post_ids[]=, /categories.json.
 */
export async function startFakeDiscourse(options: { categories?: FakeCategory[] } = {}): Promise<FakeDiscourse> {
  const topics = new Map<number, FakeTopic>();
  const categories = options.categories ?? [{ id: 1, name: 'Help', slug: 'help' }, { id: 2, name: 'Announcements', slug: 'announcements' }];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let nextPost = 1;
  let nextTopic = 1;
  const tick = () => new Date((clock += 1000)).toISOString();
  const publicTopic = (t: FakeTopic) => ({ id: t.id, title: t.title, fancy_title: t.title, slug: t.slug, posts_count: t.posts.length, bumped_at: t.bumped_at, last_posted_at: t.bumped_at, category_id: t.category_id, pinned: t.pinned ?? false, visible: true, closed: false, archived: false });
  const server = await startServer([
    (req, res) => {
      if (req.path !== '/latest.json') return false;
      const page = Number(queryOf(req).get('page') ?? 0);
      const sorted = [...topics.values()].sort((a, b) => (a.pinned === b.pinned ? b.bumped_at.localeCompare(a.bumped_at) : a.pinned ? -1 : 1));
      const slice = sorted.slice(page * PER_PAGE, (page + 1) * PER_PAGE);
      const more = (page + 1) * PER_PAGE < sorted.length ? `/latest?order=activity&page=${page + 1}` : undefined;
      return sendJson(res, { users: [], primary_groups: [], topic_list: { can_create_topic: false, per_page: PER_PAGE, ...(more ? { more_topics_url: more } : {}), topics: slice.map(publicTopic) } });
    },
    (req, res) => req.path === '/categories.json' && sendJson(res, { category_list: { can_create_category: false, categories } }),
    (req, res) => {
      const m = /^\/t\/(\d+)\.json$/.exec(req.path);
      const t = m ? topics.get(Number(m[1])) : undefined;
      if (!t) return false;
      const accepted = t.posts.find((p) => p.accepted_answer);
      return sendJson(res, { ...publicTopic(t), post_stream: { posts: t.posts.slice(0, POSTS_WITH_TOPIC), stream: t.posts.map((p) => p.id) }, ...(accepted ? { accepted_answer: { post_number: accepted.post_number, username: accepted.username } } : {}) });
    },
    (req, res) => {
      const m = /^\/t\/(\d+)\/posts\.json$/.exec(req.path);
      const t = m ? topics.get(Number(m[1])) : undefined;
      if (!t) return false;
      const ids = new Set(queryOf(req).getAll('post_ids[]').map(Number));
      return sendJson(res, { post_stream: { posts: t.posts.filter((p) => ids.has(p.id)) } });
    },
  ]);
  const post = (n: number, username: string, text: string, accepted?: boolean): FakePost => {
    const at = tick();
    return { id: nextPost++, post_number: n, username, cooked: `<p>${text}</p>`, created_at: at, updated_at: at, ...(accepted ? { accepted_answer: true } : {}) };
  };
  return Object.assign(server, {
    topics,
    addTopic(title: string, posts: { username: string; text: string; accepted?: boolean }[], category = 1) {
      const id = nextTopic++;
      const t: FakeTopic = { id, title, slug: title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''), category_id: category, bumped_at: '', posts: posts.map((p, i) => post(i + 1, p.username, p.text, p.accepted)) };
      t.bumped_at = tick();
      topics.set(id, t);
      return t;
    },
    reply(id: number, username: string, text: string) {
      const t = topics.get(id)!;
      t.posts.push(post(t.posts.length + 1, username, text));
      t.bumped_at = tick();
    },
    deleteTopic(id: number) { topics.delete(id); },
  });
}
