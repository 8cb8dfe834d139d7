import { LoomError } from '../../errors.js';
import { didYouMean } from '../../spec/diagnostics.js';
import type { SourceRun } from '../context.js';
import { forEachItem } from '../context.js';
import { fragmentToMarkdown } from '../html.js';
import type { DiscourseSource } from '../schema.js';

interface ListedTopic { id: number; slug: string; title: string; bumped_at: string; category_id?: number; pinned?: boolean }
interface Post { id: number; post_number: number; username: string; cooked: string; created_at: string; updated_at?: string; accepted_answer?: boolean }
interface Topic { id: number; slug: string; title: string; category_id?: number; post_stream: { posts: Post[]; stream?: number[] }; accepted_answer?: { post_number: number } }
interface LatestPage { topic_list?: { topics?: ListedTopic[]; more_topics_url?: string | null } }

/** Posts per /t/{id}/posts.json request (Discourse's own page size). */
const POSTS_PER_REQUEST = 20;
/** Stop listing after this many pages (30 topics each), in case a forum's list never ends. */
const MAX_LIST_PAGES = 2000;

/**
 * A Discourse forum: /latest.json pages, newest-bumped first, until topics older than the last
 * sync; then /t/{id}.json for those. A thread is one document: the question, the accepted answer,
 * then the other replies, each section linking to its post. A topic answering 404 leaves the store.
 */
export async function syncDiscourse(run: SourceRun<DiscourseSource>): Promise<void> {
  const base = run.source.discourse.replace(/\/+$/, '');
  const categories = run.source.categories?.length ? await categoryIds(run, base) : undefined;
  const cursor = run.full ? undefined : run.sink.getState<string>('cursor');
  const seen = run.sink.getState<Record<string, string>>('topics') ?? {};
  run.sink.setState('topics', seen);
  const { changed, listed, newest, complete } = await listTopics(run, base, cursor, categories);
  const stored = new Set(await run.sink.storedIds());
  const todo = changed.filter((t) => seen[t.id] !== t.bumped_at || !stored.has(String(t.id)));
  run.counts.notModified += listed.size - todo.length;
  await forEachItem(run, todo, (t) => `${base}/t/${t.id}.json`, async (t) => {
    if (await syncTopic(run, base, t)) seen[t.id] = t.bumped_at;
  });
  if (run.full && complete) {
    const gone = (await run.sink.storedIds()).filter((id) => !listed.has(id));
    await run.sink.remove(gone);
    for (const id of gone) delete seen[id];
  }
  // the cursor moves only when every changed topic made it: a failed one is tried again next time
  if (complete && run.counts.errors === 0 && newest) run.sink.setState('cursor', newest);
  await run.sink.flush();
}

async function categoryIds(run: SourceRun<DiscourseSource>, base: string): Promise<Set<number>> {
  const { value } = await run.http.json<{ category_list?: { categories?: { id: number; slug: string; subcategory_ids?: number[] }[] } }>(`${base}/categories.json`);
  const all = value?.category_list?.categories ?? [];
  const ids = new Set<number>();
  for (const slug of run.source.categories ?? []) {
    const c = all.find((x) => x.slug === slug);
    if (!c) {
      throw new LoomError('SYNC_SOURCE_FAILED', `${base}/categories.json has no category "${slug}"`, { hint: didYouMean(slug, all.map((x) => x.slug)) ?? `the categories are: ${all.map((x) => x.slug).join(', ')}` });
    }
    ids.add(c.id);
    for (const sub of c.subcategory_ids ?? []) ids.add(sub);
  }
  return ids;
}

async function listTopics(run: SourceRun<DiscourseSource>, base: string, cursor: string | undefined, categories: Set<number> | undefined) {
  const changed: ListedTopic[] = [];
  const listed = new Set<string>();
  let newest: string | undefined;
  let complete = false;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const url = `${base}/latest.json?order=activity&page=${page}`;
    const { value } = await run.http.json<LatestPage>(url);
    const topics = value?.topic_list?.topics;
    if (!Array.isArray(topics)) throw new LoomError('SYNC_SOURCE_FAILED', `${url}: not a Discourse topic list (no topic_list.topics)`);
    let older = false;
    for (const t of topics) {
      if (typeof t.id !== 'number' || typeof t.bumped_at !== 'string') continue;
      if (newest === undefined || t.bumped_at > newest) newest = t.bumped_at;
      // pinned topics head the list whatever their age
      if (cursor && t.bumped_at <= cursor) { if (!t.pinned) older = true; continue; }
      if (categories && !categories.has(t.category_id ?? -1)) continue;
      listed.add(String(t.id));
      changed.push(t);
    }
    run.progress(0, changed.length);
    if (older || topics.length === 0 || !value?.topic_list?.more_topics_url) {
      complete = true;
      break;
    }
  }
  return { changed, listed, newest, complete };
}

/** Fetches one thread and stores it; false when it failed or is gone. */
async function syncTopic(run: SourceRun<DiscourseSource>, base: string, t: ListedTopic): Promise<boolean> {
  const url = `${base}/t/${t.id}.json`;
  const { value: topic, response } = await run.http.json<Topic>(url);
  if (response.gone) {
    run.warn(url, `${url}: topic ${t.id} ("${t.title}") is gone (HTTP ${response.status}); removed from the store`);
    await run.sink.remove([String(t.id)]);
    return false;
  }
  if (!topic?.post_stream || !Array.isArray(topic.post_stream.posts)) throw new LoomError('SYNC_FETCH_FAILED', `${url}: not a Discourse topic (no post_stream.posts)`);
  run.counts.fetched++;
  const posts = await allPosts(run, base, topic);
  await run.sink.put(await threadDocument(base, topic, posts, t.bumped_at));
  return true;
}

async function allPosts(run: SourceRun<DiscourseSource>, base: string, topic: Topic): Promise<Post[]> {
  const posts = [...topic.post_stream.posts];
  const have = new Set(posts.map((p) => p.id));
  const missing = (topic.post_stream.stream ?? []).filter((id) => !have.has(id));
  for (let i = 0; i < missing.length; i += POSTS_PER_REQUEST) {
    const ids = missing.slice(i, i + POSTS_PER_REQUEST).map((id) => `post_ids[]=${id}`).join('&');
    const { value } = await run.http.json<{ post_stream?: { posts?: Post[] } }>(`${base}/t/${topic.id}/posts.json?${ids}`);
    posts.push(...(value?.post_stream?.posts ?? []));
  }
  return posts.sort((a, b) => a.post_number - b.post_number);
}

/** The question, then the accepted answer, then the rest: one document, one section per post. */
async function threadDocument(base: string, topic: Topic, posts: Post[], bumped: string) {
  const accepted = posts.find((p) => p.accepted_answer) ?? posts.find((p) => p.post_number === topic.accepted_answer?.post_number);
  const question = posts.find((p) => p.post_number === 1) ?? posts[0];
  const rest = posts.filter((p) => p !== question && p !== accepted);
  const topicUrl = `${base}/t/${topic.slug}/${topic.id}`;
  const anchors: Record<string, string> = {};
  const parts = [`# ${topic.title}`];
  const section = async (label: string, p: Post) => {
    const heading = `${label} — @${p.username}`;
    anchors[heading] = `${topicUrl}/${p.post_number}`;
    parts.push(`## ${heading}`, await fragmentToMarkdown(p.cooked ?? ''));
  };
  if (question) await section('Question', question);
  if (accepted) await section('Accepted answer', accepted);
  for (const p of rest) await section(`Reply ${p.post_number}`, p);
  return { id: String(topic.id), url: topicUrl, title: topic.title, markdown: parts.join('\n\n'), author: question?.username, updatedAt: bumped, kind: 'forum' as const, anchors };
}
