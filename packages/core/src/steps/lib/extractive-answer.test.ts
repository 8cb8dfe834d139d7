import { describe, expect, it } from 'vitest';
import { extractiveAnswer, questionGroups } from './extractive-answer.js';
import type { Passage } from './passages.js';

const passage = (n: number, text: string, lang = 'en'): Passage => ({ n, id: `p${n}`, source: `doc${n}.md`, heading: '', text, lang });

const retries = passage(1, [
  'Tidewren fetches every feed on a schedule.',
  'Failed fetches are retried by the fetcher with exponential backoff.',
  'The default is `max_attempts: 4` per scheduled fetch.',
  'Feeds can be tagged and starred.',
].join(' '));

describe('questionGroups', () => {
  it('marks words written like names, but not a capital that opens an English sentence', () => {
    const groups = questionGroups('Deploying works locally. How do I deploy my Vue app to Heroku?');
    expect(groups.filter((g) => g.name).map((g) => g.name)).toEqual(['vue', 'heroku']);
  });

  it('in a Chinese question, a Latin word with a capital is a name wherever it stands', () => {
    const groups = questionGroups('WebSub 实时推送 Tidewren 支持吗？');
    expect(groups.filter((g) => g.name).map((g) => g.name)).toEqual(['websub', 'tidewren']);
  });
});

describe('extractiveAnswer', () => {
  it('refuses when a name the question asks about is in no passage, however many other words match', () => {
    const host = passage(1, 'You can deploy the app to any static host. Build the app with `npm run build` and deploy the folder.');
    expect(extractiveAnswer('How do I deploy the app to Heroku?', [host]).grounded).toBe(false);
    const heroku = passage(1, 'You can deploy the app to Heroku or any static host. Build the app with `npm run build` first.');
    const out = extractiveAnswer('How do I deploy the app to Heroku?', [heroku]);
    expect(out.grounded).toBe(true);
    expect(out.picks[0].sentence).toContain('Heroku');
  });

  it('adds the value-bearing sentence next to the best one and keeps source order', () => {
    const out = extractiveAnswer('How does the fetcher retry failed fetches?', [retries]);
    expect(out.grounded).toBe(true);
    expect(out.picks.map((p) => p.sentence)).toEqual([
      'Failed fetches are retried by the fetcher with exponential backoff.',
      'The default is `max_attempts: 4` per scheduled fetch.',
    ]);
    // in source order even when the better sentence comes second
    const reversed = passage(1, 'Retries stop after `max_attempts: 4` in all cases. Failed fetches are retried by the fetcher with exponential backoff.');
    expect(extractiveAnswer('How does the fetcher retry failed fetches?', [reversed]).picks.map((p) => p.index)).toEqual([0, 1]);
  });

  it('quotes the block a sentence introduces and does not repeat the rows inside it', () => {
    const upgrade = passage(1, [
      'Some options were renamed in 2.0:',
      '',
      '| 1.x option | 2.x option |',
      '| --- | --- |',
      '| `refresh_interval` | `fetch.interval` |',
      '| `public_url` | `server.base_url` |',
      '',
      'Rename them before you upgrade.',
    ].join('\n'));
    const out = extractiveAnswer('What is the 2.x name of the refresh_interval option?', [upgrade]);
    expect(out.grounded).toBe(true);
    expect(out.picks[0].sentence).toBe('Some options were renamed in 2.0:');
    expect(out.picks[0].block).toContain('| `refresh_interval` | `fetch.interval` |');
    expect(out.picks.filter((p) => p.sentence.includes('refresh_interval'))).toEqual([]);
  });

  it('quotes at most maxPassages passages and keeps to the word budget', () => {
    const more = [2, 3, 4].map((n) => passage(n, `Failed fetches are retried by the fetcher, as page ${n} says again in its own words here.`));
    const out = extractiveAnswer('How does the fetcher retry failed fetches?', [retries, ...more], { maxPassages: 2, maxWords: 30 });
    expect(new Set(out.picks.map((p) => p.n)).size).toBeLessThanOrEqual(2);
    const words = out.picks.reduce((sum, p) => sum + p.sentence.split(/\s+/).length, 0);
    expect(words).toBeLessThanOrEqual(30);
    expect(out.picks[0].n).toBe(1);
  });

  it('answers a Chinese question from a Chinese table row with its value', () => {
    const api = passage(1, [
      '列表接口的分页参数如下：',
      '',
      '| 参数 | 说明 |',
      '| --- | --- |',
      '| `limit` | 每页返回的条数，默认 50，最大 200 |',
      '| `cursor` | 上一页返回的 `next_cursor` |',
    ].join('\n'), 'zh');
    const out = extractiveAnswer('列表接口每页最多返回多少条？', [api], { lang: 'zh' });
    expect(out.grounded).toBe(true);
    const text = out.picks.map((p) => `${p.sentence}\n${p.block ?? ''}`).join('\n');
    expect(text).toContain('最大 200');
  });

  it('does not quote the scrap a chunk starts with when it starts mid-sentence', () => {
    const cut = passage(1, 'doubled after each failed fetch, up to `max_backoff` for the feed. A feed that keeps failing is retried less often by the fetcher.');
    const out = extractiveAnswer('How often is a failing feed retried by the fetcher?', [cut]);
    expect(out.grounded).toBe(true);
    expect(out.picks.map((p) => p.sentence)).toEqual(['A feed that keeps failing is retried less often by the fetcher.']);
  });

  it('refuses when the quoted sentences never name the API a Chinese question asks about', () => {
    const setup = passage(1, [
      '在 `<script setup>` 中，模板可以直接使用导入的组件和变量，不需要额外注册。',
      '在模板中直接使用顶层绑定，这些绑定会被暴露给模板。',
    ].join(''), 'zh');
    const other = passage(2, '渲染函数可以返回组件的内容，模板会被编译成渲染函数。', 'zh');
    const question = '如何在模板中直接使用 vnode？';
    expect(extractiveAnswer(question, [setup, other], { lang: 'zh' }).grounded).toBe(false);
    const vnodes = passage(3, '在模板中直接使用 vnode 时，可以把它传给 `<component :is="vnode">`，模板会直接渲染这个 vnode。', 'zh');
    const out = extractiveAnswer(question, [setup, vnodes, other], { lang: 'zh' });
    expect(out.grounded).toBe(true);
    expect(out.picks[0].sentence).toContain('vnode');
  });
});
