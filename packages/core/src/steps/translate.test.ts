import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import { lastUserMessage, type RecordedRequest } from '../testing/replies.js';
import { isLoomError } from '../errors.js';
import type { ModelHandle } from '../providers/types.js';
import { translateStep } from './translate.js';
import { translateParams } from './params.js';
import { bareStepContext, openAIHandleFor } from './lib/fake-context.js';
import { codeBlocks } from './lib/markdown-check.js';

const run = (params: Record<string, unknown>, ctx: ReturnType<typeof bareStepContext>['ctx']) => translateStep.run(translateParams.parse(params), ctx);
const doc = (path: string) => readFile(new URL(`../../../../examples/community-docs/${path}`, import.meta.url), 'utf8');

const itemsOf = (req: RecordedRequest): string[] => JSON.parse(lastUserMessage(req)).items;
/** A well-behaved translator: marks each item, keeps every ⟦n⟧. */
const translator = (req: RecordedRequest) => JSON.stringify({ translations: itemsOf(req).map((t) => `〔译〕${t}`) });

describe('translate without a model', () => {
  it('fails with PROVIDER_NOT_CONFIGURED and says how to configure one, never copying the input', async () => {
    const { ctx } = bareStepContext({ stepId: 'to_zh' });
    const error = await run({ text: 'Hello', to: 'zh' }, ctx).catch((e: unknown) => e);
    expect(isLoomError(error) && error.code).toBe('PROVIDER_NOT_CONFIGURED');
    const e = error as { stepId: string; hint: string };
    expect(e.stepId).toBe('to_zh');
    expect(e.hint).toMatch(/models:/);
    expect(e.hint).toMatch(/--model openai:NAME/);
    expect(e.hint).toMatch(/OPENAI_BASE_URL/);
  });
});

describe('translate with a model (real client, fake server)', () => {
  let fake: FakeOpenAI;
  let model: ModelHandle;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    model = await openAIHandleFor(fake.url);
  });
  afterAll(async () => { await fake.close(); });
  beforeEach(() => { fake.reset(); fake.setHandler(undefined); });

  it.each([['en/guide/fetch-retries.md', 'zh'], ['zh/deploy/docker.md', 'en'], ['en/reference/webhooks.md', 'zh']])(
    '%s -> %s keeps code blocks, inline code, links and front-matter keys byte-identical', async (path, to) => {
      const source = await doc(path);
      fake.setHandler(translator);
      const { ctx } = bareStepContext({ model });
      const out = await run({ text: source, to }, ctx);
      expect(out.from).toBe(path.slice(0, 2));
      expect(out.to).toBe(to);
      expect(codeBlocks(out.text)).toEqual(codeBlocks(source));
      expect(codeBlocks(source).length).toBeGreaterThan(0);
      const inline = (t: string) => [...t.matchAll(/`[^`\n]+`|\]\([^)]*\)/g)].map((m) => m[0]).sort();
      expect(inline(out.text)).toEqual(inline(source));
      const keys = (t: string) => /^---\n([\s\S]*?)\n---/.exec(t)?.[1].split('\n').map((l) => l.split(':')[0]);
      expect(keys(out.text)).toEqual(keys(source));
      expect(out.text).toContain('〔译〕');
      // only prose went to the model
      const sent = fake.requestsTo('chat').flatMap(itemsOf).join('\n');
      for (const block of codeBlocks(source)) expect(sent).not.toContain(block.split('\n')[1]);
      // structured outputs: each batch's reply shape goes to the server as a JSON Schema
      expect(fake.requestsTo('chat').every((r) => r.body.response_format?.type === 'json_schema')).toBe(true);
      expect(fake.requestsTo('chat')[0].body.response_format.json_schema.schema.required).toEqual(['translations']);
    });

  it('asks again once when a reply loses a placeholder, then succeeds', async () => {
    const source = 'Run `tidewren feeds show 42` to see the [fetch log](fetch-log.md).\n';
    fake.setHandler((req) => {
      const retry = lastUserMessage(req).startsWith('Your reply broke the rules');
      const items = retry ? JSON.parse(req.body.messages[1].content).items as string[] : itemsOf(req);
      return JSON.stringify({ translations: items.map((t) => (retry ? `运行${t}` : t.replace('⟦1⟧', 'tidewren'))) });
    });
    const { ctx } = bareStepContext({ model });
    const out = await run({ text: source, to: 'zh', from: 'en' }, ctx);
    expect(out.text).toBe('运行Run `tidewren feeds show 42` to see the [fetch log](fetch-log.md).\n');
    const chats = fake.requestsTo('chat');
    expect(chats).toHaveLength(2);
    expect(lastUserMessage(chats[1])).toContain('item 1 lost ⟦1⟧');
  });

  it.each([
    ['drops a placeholder', (t: string) => t.replace(/⟦\d+⟧/, '')],
    ['adds a code fence', (t: string) => `\`\`\`\n${t}\n\`\`\``],
  ])('fails the step naming it when the model %s twice', async (_what, mangle) => {
    fake.setHandler((req) => {
      const items = lastUserMessage(req).startsWith('Your reply') ? JSON.parse(req.body.messages[1].content).items as string[] : itemsOf(req);
      return JSON.stringify({ translations: items.map(mangle) });
    });
    const { ctx } = bareStepContext({ model, stepId: 'zh_docs' });
    const error = await run({ text: 'Use `loom ask` daily.\n\nSee <https://x.example>.\n', to: 'zh', from: 'en' }, ctx).catch((e: unknown) => e);
    expect(isLoomError(error) && error.code).toBe('PROVIDER_BAD_RESPONSE');
    expect((error as Error).message).toMatch(/translate step "zh_docs"/);
    expect((error as { stepId: string }).stepId).toBe('zh_docs');
    expect(fake.requestsTo('chat')).toHaveLength(2);
  });

  it('keeps listed glossary terms out of the model and maps the others through the prompt', async () => {
    fake.setHandler(translator);
    const { ctx, warnings } = bareStepContext({ model });
    const out = await run({ text: 'Tidewren stores every feed in its database.\n', to: 'zh', from: 'en', glossary: { Tidewren: 'Tidewren', feed: '订阅源' } }, ctx);
    const req = fake.requestsTo('chat')[0];
    expect(itemsOf(req)[0]).toBe('⟦1⟧ stores every feed in its database.');
    expect(req.body.messages[0].content).toContain('feed -> 订阅源');
    expect(out.text).toBe('〔译〕Tidewren stores every feed in its database.\n');
    // the fake did not use the mapped term: reported, not hidden
    expect(warnings).toEqual(['glossary: "feed" should become "订阅源", which is not in the translation']);
  });

  it('batches a long document and reassembles the batches in order', async () => {
    const source = Array.from({ length: 120 }, (_, i) => `Paragraph ${i + 1} explains option \`opt_${i}\` in a few words of prose.`).join('\n\n') + '\n';
    fake.setHandler(translator);
    const { ctx } = bareStepContext({ model });
    const out = await run({ text: source, to: 'zh', from: 'en' }, ctx);
    expect(fake.requestsTo('chat').length).toBeGreaterThan(1);
    expect(out.text).toBe(source.replace(/^Paragraph/gm, '〔译〕Paragraph'));
  });

  it('returns text already in the target language unchanged, with a warning', async () => {
    const { ctx, warnings } = bareStepContext({ model });
    const out = await run({ text: '这是一段中文。', to: 'zh' }, ctx);
    expect(out).toEqual({ text: '这是一段中文。', from: 'zh', to: 'zh' });
    expect(warnings).toEqual(['the text is already in zh: returned unchanged']);
    expect(fake.requests).toHaveLength(0);
  });
});
