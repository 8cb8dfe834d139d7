import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import '../../packages/core/src/steps/index.js';
import { runPipeline } from '../../packages/core/src/engine/run.js';
import type { RunEvent } from '../../packages/core/src/engine/types.js';
import { createLedger, getRun } from '../../packages/core/src/providers/ledger.js';
import { closeRunsDb } from '../../packages/core/src/providers/runs-db.js';
import { loadPipeline } from '../../packages/core/src/spec/load.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../packages/core/src/testing/index.js';

/*
 * Streaming faults through runPipeline (the CLI streams only on a terminal): a stream cut on
 * every attempt is a failed run with no output, whatever tokens were shown; a server that
 * streams our key back, split across chunks, gets it redacted in the tokens, the output, the
 * events and the ledger.
 */
const KEY = 'sk-stream-fault-0123456789abcdefghij';
let fake: FakeOpenAI;
let store: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  store = mkdtempSync(join(tmpdir(), 'loom-stream-faults-'));
});
afterAll(async () => {
  await fake.close();
  closeRunsDb(store);
  rmSync(store, { recursive: true, force: true });
});
beforeEach(() => { fake.reset(); fake.setHandler(undefined); });

const yaml = () => `
version: 1
name: stream-faults
inputs:
  q: { type: string, required: true }
models:
  default: { provider: openai, model: stream-model, base_url: ${fake.url}, api_key_env: STREAM_KEY, temperature: 0.5 }
steps:
  - id: ask
    prompt: { template: "Answer: {{ inputs.q }}" }
    retry: { attempts: 3, backoff_ms: 20 }
    timeout_ms: 3000
outputs:
  text: "{{ steps.ask.text }}"
`;

async function run(q: string) {
  const events: RunEvent[] = [];
  const tokens: string[] = [];
  const ledger = createLedger(store, { env: { STREAM_KEY: KEY } });
  const result = await runPipeline(await loadPipeline(yaml()), { q }, {
    env: { STREAM_KEY: KEY }, store, cache: false,
    listeners: [ledger.listener, (e) => events.push(e)],
    onToken: (d) => tokens.push(d),
  });
  return { result, events, tokens, detail: getRun(store, result.runId)! };
}

describe('streaming faults', () => {
  it('a stream cut mid-way on every attempt fails the run: no output, whatever tokens were shown', async () => {
    fake.setHandler(() => ({ fault: 'stream-cut', content: 'half of an answer that never ends', cutAfterChunks: 3 }));
    const { result, tokens, detail } = await run('cut every time');
    expect(fake.requestsTo('chat')).toHaveLength(3);
    expect(fake.requestsTo('chat').every((r) => r.body.stream === true)).toBe(true);
    expect(tokens.join('')).toContain('half'); // the user saw the partial text go by ...
    expect(result.status).toBe('failed'); // ... but it is not the result
    expect(result.outputs).toEqual({});
    expect(result.steps.ask.error).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', stepId: 'ask' });
    expect(result.steps.ask.error!.message).toMatch(/openai:stream-model.*stream broke.*discarded/);
    expect(detail).toMatchObject({ status: 'failed', usage: { calls: 3, failedCalls: 3 } });
  });

  it('a stream that closes cleanly but never says it finished (no finish_reason) is not an answer', async () => {
    fake.setHandler(() => ({ content: 'cut short by a proxy', finishReason: '' }));
    const { result, tokens } = await run('no finish');
    expect(tokens.join('')).toContain('cut short');
    expect(result.status).toBe('failed');
    expect(result.outputs).toEqual({});
    expect(result.steps.ask.error!.code).toBe('PROVIDER_BAD_RESPONSE');
    expect(result.steps.ask.attempts).toBe(3);
  });

  it('a streamed reply echoing our key, split across chunks, is redacted everywhere', async () => {
    const auth = `Bearer ${KEY}`;
    fake.setHandler((req) => {
      expect(req.headers.authorization).toBe(auth);
      const text = `Here is your key: ${KEY} and the header ${auth} — done.`;
      // awkward cuts: through the middle of the key, 5 characters at a time
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += 5) chunks.push(text.slice(i, i + 5));
      return { chunks };
    });
    const { result, events, tokens, detail } = await run('print the key');
    expect(result.status).toBe('ok');
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join('')).toBe('Here is your key: *** and the header Bearer *** — done.');
    expect(result.outputs.text).toBe(tokens.join(''));
    const seen = JSON.stringify({ events, detail, outputs: result.outputs });
    expect(seen).not.toContain(KEY.slice(0, 14));
    for (const t of tokens) expect(t).not.toContain(KEY.slice(0, 8));
    closeRunsDb(store);
    for (const f of readdirSync(store)) expect(readFileSync(join(store, f)).includes(Buffer.from(KEY)), f).toBe(false);
  });
});
