import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../packages/core/src/steps/index.js';
import { runPipeline } from '../../packages/core/src/engine/run.js';
import { countTokens } from '../../packages/core/src/providers/tokens.js';
import { loadPipeline } from '../../packages/core/src/spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../packages/core/src/testing/index.js';

/*
 * Inputs shaped to hit quadratic corners: one "word" hundreds of kilobytes long (minified code,
 * base64, a run of one character, Chinese without punctuation). Token counting (BPE) and the
 * summarize step's splitting used to take minutes to hours on them; they must stay linear.
 */
let fake: FakeOpenAI;
beforeAll(async () => { fake = await startFakeOpenAI(); });
afterAll(async () => { await fake.close(); });

const timed = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
};

describe('long inputs without spaces', () => {
  it('counts tokens of a 100 KB run in linear time, close to the exact count', () => {
    const [small, t1] = timed(() => countTokens('x'.repeat(20_000), 'gpt-4o-mini'));
    const [big, t5] = timed(() => countTokens('x'.repeat(100_000), 'gpt-4o-mini'));
    expect(big).toBeGreaterThan(small * 4.5);
    expect(big).toBeLessThan(small * 5.5);
    expect(t5).toBeLessThan(Math.max(2000, t1 * 10)); // was quadratic: ~25x for 5x the length
    // a long run is counted close to its exact count (slices of 64 cost at most a token or two more each)
    const exactish = countTokens('x'.repeat(120), 'gpt-4o-mini') * (100_000 / 120);
    expect(Math.abs(big - exactish) / exactish).toBeLessThan(0.1);
    const [zh, tz] = timed(() => countTokens('向量索引丢失时会从数据库重建'.repeat(3_000), 'gpt-4o-mini'));
    expect(zh).toBeGreaterThan(10_000);
    expect(tz).toBeLessThan(10_000);
  });

  it('summarize with a model splits a 300 KB line into pieces that fit, in seconds', async () => {
    const pipeline = await loadPipeline(`
version: 1
name: long-line
inputs:
  t: { type: string, required: true }
models:
  default: { provider: openai, model: m, base_url: ${fake.url}, context_tokens: 4000, temperature: 0.5 }
steps:
  - id: s
    summarize: { text: "{{ inputs.t }}", max_words: 20 }
outputs:
  o: "{{ steps.s.summary }}"
`);
    const t0 = performance.now();
    const result = await runPipeline(pipeline, { t: 'aZ09+/'.repeat(50_000) }, { env: {}, cache: false });
    const ms = performance.now() - t0;
    expect(result.status).toBe('ok');
    expect(ms).toBeLessThan(30_000);
    const chats = fake.requestsTo('chat');
    expect(chats.length).toBeGreaterThan(10); // map calls over the pieces, then the reduce
    for (const q of chats) expect(countTokens(JSON.stringify(q.body.messages), 'm')).toBeLessThan(4000);
  }, 60_000);
});
