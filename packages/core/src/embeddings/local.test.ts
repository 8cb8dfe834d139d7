import { describe, expect, it } from 'vitest';
import { LoomError } from '../errors.js';
import { LocalEmbeddings } from './local.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const norm = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));

const passages = {
  zhComputed: '计算属性会基于其响应式依赖被缓存。一个计算属性仅会在其响应式依赖更新时才重新计算，否则直接返回缓存的结果。',
  zhWatch: '侦听器可以在每次响应式状态发生变化时触发回调函数，例如更改 DOM，或是根据异步操作的结果去修改另一处的状态。',
  zhTeleport: '传送门可以将一个组件内部的一部分模板“传送”到该组件的 DOM 结构外层的位置去，比如全屏的模态框。',
  enComputed: 'A computed property will only re-evaluate when some of its reactive dependencies have changed; otherwise the cached result is returned.',
  enWatch: 'Watchers let us perform side effects in reaction to state changes, for example mutating the DOM or changing another piece of state based on the result of an async operation.',
  enTeleport: 'Teleport lets us teleport a part of a component template into a DOM node that exists outside the DOM hierarchy of that component, such as a full-screen modal.',
};

describe('LocalEmbeddings', () => {
  const e = new LocalEmbeddings();

  it('is deterministic, L2-normalised and sized by `dimensions`', () => {
    const a = e.embedSync(passages.zhComputed);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a).toHaveLength(512);
    expect(Array.from(new LocalEmbeddings().embedSync(passages.zhComputed))).toEqual(Array.from(a));
    expect(norm(a)).toBeCloseTo(1, 5);
    const wide = new LocalEmbeddings({ dimensions: 768 });
    expect(wide).toMatchObject({ id: 'local:hash-v1:768', dimensions: 768 });
    expect(wide.embedSync('x')).toHaveLength(768);
    expect(e.id).toBe('local:hash-v1:512');
  });

  it('ranks the Chinese passage on the same topic above unrelated ones for a Chinese query', () => {
    const q = e.embedSync('计算属性的缓存是怎么工作的？');
    const scores = [passages.zhComputed, passages.zhWatch, passages.zhTeleport].map((p) => dot(q, e.embedSync(p)));
    expect(scores[0]).toBeGreaterThan(scores[1]);
    expect(scores[0]).toBeGreaterThan(scores[2]);
    const q2 = e.embedSync('侦听器 回调');
    expect(dot(q2, e.embedSync(passages.zhWatch))).toBeGreaterThan(dot(q2, e.embedSync(passages.zhComputed)));
  });

  it('ranks the English passage on the same topic first, matching word forms through character n-grams', () => {
    const q = e.embedSync('how do watchers react to state changes');
    const scores = [passages.enWatch, passages.enComputed, passages.enTeleport].map((p) => dot(q, e.embedSync(p)));
    expect(scores[0]).toBeGreaterThan(Math.max(scores[1], scores[2]));
    // "watcher" shares n-grams with "watchers": closer than an unrelated word
    expect(dot(e.embedSync('watcher'), e.embedSync('watchers'))).toBeGreaterThan(dot(e.embedSync('watcher'), e.embedSync('teleport')));
  });

  it('matches across languages only through shared Latin tokens (it is lexical, not neural)', () => {
    const zhWithApi = '使用 Teleport 把模态框渲染到 body 上';
    expect(dot(e.embedSync(zhWithApi), e.embedSync(passages.enTeleport))).toBeGreaterThan(dot(e.embedSync(zhWithApi), e.embedSync(passages.enComputed)));
    // with no shared token, a Chinese question and its English answer are unrelated vectors
    expect(Math.abs(dot(e.embedSync('模态框'), e.embedSync('modal dialog')))).toBeLessThan(0.2);
  });

  it('returns a valid unit vector for empty or punctuation-only text', () => {
    for (const text of ['', '。，！', '---']) expect(norm(e.embedSync(text))).toBeCloseTo(1, 5);
  });

  it('works as a LangChain Embeddings', async () => {
    const [docs, query] = await Promise.all([e.embedDocuments(['a', '组件']), e.embedQuery('组件')]);
    expect(docs).toHaveLength(2);
    expect(Array.isArray(query)).toBe(true);
    expect(query).toEqual(docs[1].map((x) => Math.fround(x)));
    expect(dot(query, docs[1])).toBeCloseTo(1, 5);
  });

  it('refuses a silly dimension with CONFIG_INVALID', () => {
    expect(() => new LocalEmbeddings({ dimensions: 3 })).toThrow(LoomError);
    try { new LocalEmbeddings({ dimensions: 3 }); } catch (error) { expect((error as LoomError).code).toBe('CONFIG_INVALID'); }
  });
});
