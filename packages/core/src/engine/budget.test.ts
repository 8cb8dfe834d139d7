import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadPipeline } from '../spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/fake-openai.js';
import { AttemptSlots } from './budget.js';
import { Semaphore } from './executor.js';
import { planPipeline } from './plan.js';
import { runPipeline } from './run.js';
import '../steps/index.js'; // registers the built-in kinds, as the package entry does

/*
 * One budget per run: every model call and every foreach item takes a slot of the run's
 * limiter. Proven by the fake server's count of requests in flight, never by wall time.
 */

let fake: FakeOpenAI;
/**
 * Replies wait until `target` requests are in flight at once (or 5 s passed), the first time
 * only: a run that may reach the target does so however slow the machine, and one that may
 * not shows a lower maximum.
 */
let target = 1;
async function barrier(): Promise<void> {
  const t0 = Date.now();
  while (fake.maxInFlight < target && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
}
beforeAll(async () => {
  fake = await startFakeOpenAI({
    latencyMs: 10,
    handler: async (req) => {
      await barrier();
      return req.body?.response_format ? { content: JSON.stringify({ translations: translationsFor(req.body) }) } : undefined;
    },
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** Echoes each item of a translate batch back, so the batch's checks pass. */
function translationsFor(body: { messages: { content: string }[] }): string[] {
  const user = body.messages[body.messages.length - 1].content;
  const json = user.slice(user.indexOf('{'), user.lastIndexOf('}') + 1);
  return (JSON.parse(json) as { items: string[] }).items;
}

const models = () => `models:
  default: { provider: openai, model: fake-model, base_url: "${fake.url}", context_tokens: 900 }`;

// 40 paragraphs of ~60 words: more pieces than one call fits, and several translate batches
const longText = Array.from({ length: 30 }, (_, i) =>
  `Paragraph ${i} explains how the fetch client retries a request after a timeout. ` +
  'It waits a little longer each time, gives up after the configured number of attempts, and logs every failure with the status code, the URL and the time it took.'.repeat(2)).join('\n\n');

async function summarizeAndTranslate() {
  return loadPipeline(`version: 1
name: budget
inputs:
  text: { type: string }
${models()}
steps:
  - id: sum
    summarize: { text: "{{ inputs.text }}", max_words: 60 }
  - id: tr
    translate: { text: "{{ inputs.text }}", from: en, to: fr }
outputs:
  summary: "{{ steps.sum.summary }}"
`);
}

describe('one concurrency budget', () => {
  it.each([1, 3])('--concurrency %i bounds the model calls of summarize and translate together', async (n) => {
    const pipeline = await summarizeAndTranslate();
    target = n;
    const r = await runPipeline(pipeline, { text: longText }, { concurrency: n, env: {}, cache: false });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('ok');
    // enough calls that an unbounded or per-step p-limit(4) batching would overlap more
    expect(fake.requestsTo('chat').length).toBeGreaterThan(8);
    expect(fake.maxInFlight).toBe(n);
  });

  it('honours a foreach step\'s declared concurrency over the default, and an explicit lower bound over it', async () => {
    const pipeline = await loadPipeline(`version: 1
name: wide
inputs:
  xs: { type: array, default: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] }
${models()}
steps:
  - id: each
    foreach: "{{ inputs.xs }}"
    concurrency: 8
    prompt: { template: "item {{ item }}" }
outputs:
  n: "{{ steps.each | size }}"
`);
    target = 8;
    const wide = await runPipeline(pipeline, {}, { env: {}, cache: false });
    expect(wide.outputs.n).toBe(16);
    expect(fake.maxInFlight).toBe(8);
    expect(planPipeline(pipeline).byId.get('each')!.concurrency).toEqual({ declared: 8, effective: 8 });

    fake.reset();
    target = 2;
    const capped = await runPipeline(pipeline, {}, { env: {}, cache: false, concurrency: 2 });
    expect(capped.outputs.n).toBe(16);
    expect(fake.maxInFlight).toBe(2);
    expect(planPipeline(pipeline, { concurrency: 2 }).byId.get('each')!.concurrency).toEqual({ declared: 8, effective: 2, cappedBy: '--concurrency 2' });
  });
});

describe('AttemptSlots', () => {
  it('keeps the attempt\'s slot taken while a call still runs on it after the attempt ended', async () => {
    const limiter = new Semaphore(1);
    limiter.acquire(); // the attempt's own slot
    const slots = new AttemptSlots(limiter);
    let finishCall!: () => void;
    const call = slots.run(() => new Promise<void>((r) => { finishCall = r; }));
    await new Promise((r) => setImmediate(r)); // the call is on its way
    slots.finish(); // the attempt was abandoned (timeout) while its call is in flight
    expect(limiter.tryAcquire()).toBe(false);
    finishCall();
    await call;
    expect(limiter.inUse).toBe(0);
    expect(limiter.tryAcquire()).toBe(true);
  });

  it('runs concurrent calls one at a time on a full limiter, and borrows free slots when there are some', async () => {
    const tight = new Semaphore(1);
    tight.acquire();
    const one = new AttemptSlots(tight);
    let running = 0;
    let most = 0;
    const work = () => one.run(async () => { most = Math.max(most, ++running); await new Promise((r) => setTimeout(r, 1)); running--; });
    await Promise.all([work(), work(), work()]);
    expect(most).toBe(1);

    const wide = new Semaphore(3);
    wide.acquire();
    const three = new AttemptSlots(wide);
    running = 0;
    most = 0;
    const more = () => three.run(async () => { most = Math.max(most, ++running); await new Promise((r) => setTimeout(r, 1)); running--; });
    await Promise.all([more(), more(), more(), more(), more()]);
    expect(most).toBe(3);
    three.finish();
    expect(wide.inUse).toBe(0);
  });
});
