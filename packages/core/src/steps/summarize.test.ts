import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import { lastUserMessage } from '../testing/replies.js';
import type { ModelHandle } from '../providers/types.js';
import { summarizeStep } from './summarize.js';
import { summarizeParams } from './params.js';
import { bareStepContext, exampleDocHits, openAIHandleFor } from './lib/fake-context.js';
import { countWords } from './lib/lexical.js';
import { proseSentences } from './lib/passages.js';
import { loadPipeline } from '../spec/load.js';
import { runPipeline } from '../engine/run.js';
import './index.js'; // registers the built-in kinds, as the package entry does

const run = (params: Record<string, unknown>, ctx: ReturnType<typeof bareStepContext>['ctx']) => summarizeStep.run(summarizeParams.parse(params), ctx);
const doc = (path: string) => readFile(new URL(`../../../../examples/community-docs/${path}`, import.meta.url), 'utf8');

/** True when `summary` is a run of `sources` sentences, each used at most once, in source order. */
function quotedInOrder(summary: string, sources: string[]): boolean {
  let rest = summary.trim();
  let from = 0;
  while (rest) {
    const j = sources.findIndex((s, k) => k >= from && rest.startsWith(s));
    if (j < 0) return false;
    rest = rest.slice(sources[j].length).trimStart();
    from = j + 1;
  }
  return true;
}

describe('summarize offline (extractive)', () => {
  it.each([
    ['en/guide/fetch-retries.md', 'en', 60],
    ['zh/guide/fetch-retries.md', 'zh', 120],
    ['en/deploy/backups.md', 'en', 40],
    ['zh/deploy/backups.md', 'zh', 80],
  ])('%s: central sentences of the page, in order, within max_words', async (path, lang, maxWords) => {
    const text = await doc(path);
    const { ctx, warnings } = bareStepContext();
    const out = await run({ text, max_words: maxWords }, ctx);
    expect(out.extractive).toBe(true);
    expect(out.lang).toBe(lang);
    expect(countWords(out.summary)).toBeLessThanOrEqual(maxWords);
    expect(countWords(out.summary)).toBeGreaterThan(maxWords / 3);
    // every sentence is quoted from the input, in the input's order
    expect(quotedInOrder(out.summary, proseSentences(text))).toBe(true);
    expect(warnings.join(' ')).toMatch(/extractive/);
  });

  it('picks the sentences that carry the topic, not the first ones', async () => {
    const text = await doc('en/guide/fetch-retries.md');
    const { ctx } = bareStepContext();
    const out = await run({ text, max_words: 80 }, ctx);
    expect(out.summary).toMatch(/retr/i);
    expect(out.summary).not.toBe(proseSentences(text).slice(0, 3).join(' '));
  });

  it('writes bullets and a short tldr', async () => {
    const text = await doc('en/guide/fetch-retries.md');
    const bullets = await run({ text, max_words: 80, style: 'bullets' }, bareStepContext().ctx);
    expect(bullets.summary.split('\n').every((l) => l.startsWith('- '))).toBe(true);
    const tldr = await run({ text, max_words: 200, style: 'tldr' }, bareStepContext().ctx);
    expect(proseSentences(tldr.summary).length).toBeLessThanOrEqual(2);
    expect(countWords(tldr.summary)).toBeLessThanOrEqual(50);
  });

  it('accepts a retrieve output and drops the duplicate sentences of overlapping chunks', async () => {
    const hits = (await exampleDocHits()).filter((h) => h.source === 'zh/guide/fetch-retries.md');
    const overlapping = [...hits, ...hits.slice(0, 2)];
    const out = await run({ text: { hits: overlapping, text: '' }, max_words: 150 }, bareStepContext().ctx);
    const sentences = proseSentences(out.summary);
    expect(new Set(sentences).size).toBe(sentences.length);
    expect(out.lang).toBe('zh');
  });

  it('says when the summary is not in the language asked for, in that language', async () => {
    const { ctx, warnings } = bareStepContext();
    const out = await run({ text: await doc('en/guide/fetch-retries.md'), max_words: 60, lang: 'zh' }, ctx);
    expect(out.lang).toBe('en');
    expect(out.note).toBe('摘录式摘要（未配置模型；摘自原文，未翻译）');
    expect(warnings.join('\n')).toMatch(/the summary is in en, not zh/);
    const same = await run({ text: await doc('en/guide/fetch-retries.md'), max_words: 60, lang: 'en' }, bareStepContext().ctx);
    expect(same).toMatchObject({ lang: 'en', note: '' });
  });

  it('says so when the input has no prose to quote (code only)', async () => {
    const { ctx, warnings } = bareStepContext();
    const out = await run({ text: '```js\nconst a = ref(1)\n```\n\n    indented();\n' }, ctx);
    expect(out).toMatchObject({ summary: '', extractive: true, note: 'Nothing to quote (no model configured; the input has only code, tables or markup)' });
    expect(warnings.join('\n')).toMatch(/no prose sentences/);
  });

  it('quotes neither labels glued to the next sentence nor a chunk\'s mid-sentence scrap', async () => {
    const hits = [
      { id: 'a', source: 'a.md', heading: '', lang: 'en', score: 1, text: 'Computed values are cached until their dependencies change.\n\nSee also: [Typing Computed](/guide/ts)\n\nThis means the getter runs again only when a dependency changes.' },
      { id: 'b', source: 'a.md', heading: '', lang: 'en', score: 0.9, text: 'dependency changes, and the cache is dropped.\n\nA computed ref is read-only by default, unless it has a setter.' },
    ];
    const out = await run({ text: { hits, text: '' }, max_words: 200 }, bareStepContext().ctx);
    expect(out.summary).toContain('Computed values are cached');
    expect(out.summary).not.toMatch(/See also|^dependency changes|\. dependency changes/);
  });

  it('warns on empty input instead of inventing a summary', async () => {
    const { ctx, warnings } = bareStepContext();
    const out = await run({ text: '   ' }, ctx);
    expect(out.summary).toBe('');
    expect(warnings).toEqual(['nothing to summarize: the input is empty']);
  });
});

describe('summarize with a model (real client, fake server)', () => {
  let fake: FakeOpenAI;
  let model: ModelHandle;
  const CONTEXT = 1000;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ latencyMs: 40 });
    model = await openAIHandleFor(fake.url, { context_tokens: CONTEXT });
  });
  afterAll(async () => { await fake.close(); });
  beforeEach(() => { fake.reset(); fake.setHandler(undefined); });

  const summarizePipeline = () => loadPipeline(`version: 1
name: sum
inputs: { text: { type: string } }
models:
  default: { provider: openai, model: fake-model, base_url: "${fake.url}", context_tokens: ${CONTEXT} }
steps:
  - id: s
    summarize: { text: "{{ inputs.text }}", max_words: 100 }
outputs: { summary: "{{ steps.s.summary }}" }
`);

  it('summarizes a text that fits in one call, streaming the tokens', async () => {
    fake.enqueue({ content: 'Failed fetches are retried with exponential backoff.' });
    const tokens: string[] = [];
    const { ctx } = bareStepContext({ model, onToken: (d) => tokens.push(d) });
    const out = await run({ text: await doc('en/deploy/backups.md').then((t) => t.slice(0, 1500)), max_words: 30, style: 'tldr' }, ctx);
    expect(out).toEqual({ summary: 'Failed fetches are retried with exponential backoff.', extractive: false, lang: 'en', note: '' });
    expect(fake.requestsTo('chat')).toHaveLength(1);
    expect(tokens.join('')).toBe(out.summary);
    const user = lastUserMessage(fake.requestsTo('chat')[0]);
    expect(user).toMatch(/in English, in at most 30 words/);
    expect(user).toMatch(/TL;DR/);
  });

  // the step has no bound of its own: the run's budget (--concurrency) bounds its calls
  it('map-reduces an input ten times the context: every piece sent once, at most 4 calls at a time', async () => {
    const hits = await exampleDocHits();
    const paragraphs: string[] = [];
    for (const h of hits.filter((x) => x.lang === 'en')) {
      paragraphs.push(h.text);
      if (model.countTokens(paragraphs.join('\n\n')) > CONTEXT * 10) break;
    }
    const text = paragraphs.join('\n\n');
    fake.setHandler((req) => {
      const user = lastUserMessage(req);
      const part = /This is part (\d+) of (\d+)/.exec(user);
      return part ? `Notes on part ${part[1]}.` : 'The final summary.';
    });
    const result = await runPipeline(await summarizePipeline(), { text }, { concurrency: 4, cache: false, env: {} });
    expect(result.outputs.summary).toBe('The final summary.');
    const chats = fake.requestsTo('chat').map(lastUserMessage);
    const maps = chats.filter((u) => u.startsWith('This is part'));
    const finals = chats.filter((u) => !u.startsWith('This is part'));
    expect(maps.length).toBeGreaterThanOrEqual(10);
    expect(finals).toHaveLength(1);
    expect(chats).toHaveLength(maps.length + 1);
    expect(fake.maxInFlight).toBeLessThanOrEqual(4);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    // nothing silently truncated: every word of the input went to exactly the map calls
    const partOf = (u: string) => Number(/This is part (\d+)/.exec(u)![1]);
    const sent = [...maps].sort((a, b) => partOf(a) - partOf(b)).map((u) => /<text>\n([\s\S]*)\n<\/text>/.exec(u)![1]).join(' ');
    // (compared as a boolean: a failing diff of 40 KB helps nobody)
    expect(sent.replace(/\s+/g, ' ') === text.replace(/\s+/g, ' ')).toBe(true);
    for (const m of fake.requestsTo('chat')) expect(model.countTokens(m.body.messages.map((x: { content: string }) => x.content).join('\n'))).toBeLessThan(CONTEXT);
    // the final call sees every note, in order
    for (let i = 1; i <= maps.length; i++) expect(finals[0]).toContain(`Notes on part ${i}.`);
  });

  it('stops starting calls once the run is cancelled', async () => {
    const text = (await doc('en/guide/fetch-retries.md')).repeat(12);
    const controller = new AbortController();
    fake.setHandler(() => ({ content: 'note', delayMs: 200 }));
    setTimeout(() => controller.abort(new Error('cancelled by test')), 100);
    const result = await runPipeline(await summarizePipeline(), { text }, { concurrency: 4, cache: false, env: {}, signal: controller.signal });
    expect(result.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.requestsTo('chat').length).toBeLessThanOrEqual(4);
  });
});
