import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../steps/index.js'; // registers the built-in step kinds
import { runPipeline } from '../engine/run.js';
import { loadPipeline } from '../spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/index.js';
import { closeRunsDb } from './runs-db.js';

/*
 * JSON replies: only replies that pass the step's checks are cached, and steps with a schema
 * ask for structured outputs (response_format json_schema), falling back to json_object.
 */

const schemaStep = (url: string, extra = '') => `
version: 1
name: structured
inputs:
  topic: { type: string, default: transitions }
models:
  default: { provider: openai, model: fake-model, base_url: "${url}", temperature: 0${extra} }
steps:
  - id: topics
    prompt:
      template: "Group the pages about {{ inputs.topic }} into topics."
      schema:
        type: object
        required: [topics]
        properties:
          topics: { type: array, items: { type: object, required: [title, pages], properties: { title: { type: string }, pages: { type: array, items: { type: integer } } } } }
    retry: { attempts: 3, backoff_ms: 1 }
outputs:
  topics: "{{ steps.topics.json.topics }}"
`;

describe('a reply that fails the step\'s checks is never cached', () => {
  let fake: FakeOpenAI;
  let store: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    store = mkdtempSync(join(tmpdir(), 'loom-accept-'));
  });
  afterAll(async () => {
    await fake.close();
    closeRunsDb(store);
    rmSync(store, { recursive: true, force: true });
  });

  it('retries a bad JSON reply against the server, then caches and replays only the good one', async () => {
    const good = JSON.stringify({ topics: [{ title: 'Transitions', pages: [1, 2] }] });
    fake.enqueue({ content: 'Sure! Here are the topics: transitions and animations.' }, { content: good });
    const pipeline = await loadPipeline(schemaStep(fake.url));
    const first = await runPipeline(pipeline, {}, { env: {}, store });
    expect(first.error).toBeUndefined();
    expect(first.outputs.topics).toEqual([{ title: 'Transitions', pages: [1, 2] }]);
    expect(first.steps.topics).toMatchObject({ attempts: 2, usage: { calls: 2, cachedCalls: 0 } });
    expect(fake.requestsTo('chat')).toHaveLength(2);

    const second = await runPipeline(pipeline, {}, { env: {}, store });
    expect(second.outputs.topics).toEqual(first.outputs.topics);
    expect(second.steps.topics).toMatchObject({ attempts: 1, usage: { calls: 1, cachedCalls: 1 } });
    expect(fake.requestsTo('chat')).toHaveLength(2);
  });
});

describe('structured outputs', () => {
  let onlySchema: FakeOpenAI;
  let onlyObject: FakeOpenAI;
  beforeAll(async () => {
    onlySchema = await startFakeOpenAI({ responseFormats: ['json_schema'] });
    onlyObject = await startFakeOpenAI({ responseFormats: ['json_object'] });
  });
  afterAll(async () => {
    await onlySchema.close();
    await onlyObject.close();
  });

  it('a prompt step with schema: works against a server that honours only json_schema, sending the schema', async () => {
    const r = await runPipeline(await loadPipeline(schemaStep(onlySchema.url)), {}, { env: {}, cache: false });
    expect(r.error).toBeUndefined();
    expect(r.outputs.topics).toEqual([{ title: expect.any(String), pages: [1] }]);
    const [req] = onlySchema.requestsTo('chat');
    expect(req.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: { required: ['topics'] } } });
    expect(onlySchema.requestsTo('chat')).toHaveLength(1);
  });

  it('falls back to json_object (schema in the instructions) on a server that refuses json_schema, then json_object for the rest of the run', async () => {
    onlyObject.setHandler(() => JSON.stringify({ topics: [{ title: 'T', pages: [3] }] }));
    const pipeline = await loadPipeline(schemaStep(onlyObject.url));
    const r = await runPipeline(pipeline, {}, { env: {}, cache: false });
    expect(r.error).toBeUndefined();
    expect(r.outputs.topics).toEqual([{ title: 'T', pages: [3] }]);
    const types = onlyObject.requestsTo('chat').map((q) => q.body.response_format.type);
    expect(types).toEqual(['json_schema', 'json_object']);
    expect(onlyObject.requestsTo('chat')[1].body.messages[0].content).toContain('matches this JSON Schema');
  });

  it('response_format: json_object on the model entry never sends json_schema', async () => {
    onlyObject.reset();
    const pipeline = await loadPipeline(schemaStep(onlyObject.url, ', response_format: json_object'));
    const r = await runPipeline(pipeline, {}, { env: {}, cache: false });
    expect(r.error).toBeUndefined();
    expect(onlyObject.requestsTo('chat').map((q) => q.body.response_format.type)).toEqual(['json_object']);
  });

  const translate = (url: string) => `
version: 1
name: tr
inputs: { text: { type: string } }
models:
  default: { provider: openai, model: fake-model, base_url: "${url}" }
steps:
  - id: tr
    translate: { text: "{{ inputs.text }}", from: en, to: fr }
    retry: { attempts: 1 }
outputs: { text: "{{ steps.tr.text }}" }
`;

  it('translate works against a server that honours only json_schema', async () => {
    onlySchema.reset();
    const r = await runPipeline(await loadPipeline(translate(onlySchema.url)), { text: 'The cache keeps answers.' }, { env: {}, cache: false });
    expect(r.error).toBeUndefined();
    expect(onlySchema.requestsTo('chat').map((q) => q.body.response_format.type)).toEqual(['json_schema']);
  });

  it('translate says the reply was not JSON (not that the Markdown broke) when it was not', async () => {
    onlyObject.reset();
    onlyObject.setHandler(() => 'I am sorry, I cannot help with that.');
    const r = await runPipeline(await loadPipeline(translate(onlyObject.url)), { text: 'Run `loom ask` to see [the log](log.md).' }, { env: {}, cache: false });
    onlyObject.setHandler(undefined);
    expect(r.error).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', message: expect.stringContaining('was not the JSON {"translations": [...]} asked for') });
    expect(r.error!.message).not.toMatch(/protected Markdown/);
  });
});
