import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '@promptloom/core';
import { docsStore, postJson, serveOn, warmUp } from './helpers.js';
import type { RunningServer } from '../src/index.js';

let store: Awaited<ReturnType<typeof docsStore>>;
let server: RunningServer;

beforeAll(async () => {
  store = await docsStore();
  server = await serveOn(store.dir);
  await warmUp(server.url);
}, 120_000);
afterAll(async () => {
  await server?.close();
  store?.remove();
});

describe('REST', () => {
  it('lists pipelines with their input schemas', async () => {
    const body = await (await fetch(`${server.url}/v1/pipelines`)).json();
    const ask = body.pipelines.find((p: { name: string }) => p.name === 'ask');
    expect(ask.inputs.question).toMatchObject({ type: 'string', required: true });
    expect(ask.chat).toBe(true);
    expect(body.pipelines.find((p: { name: string }) => p.name === 'translate-doc').chat).toBe(false);
  });

  it('runs a pipeline and returns what `loom run --json` prints', async () => {
    const r = await postJson(`${server.url}/v1/pipelines/ask/runs`, { inputs: { question: 'Which port does the web UI listen on by default?' } });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('ok');
    expect(r.json.outputs.answer).toContain('8470');
    expect(Object.keys(r.json.steps)).toEqual(['hits', 'reply']);
    expect(r.json).toHaveProperty('runId');
    expect(r.json).toHaveProperty('usage');
  });

  it('streams the run events with Accept: text/event-stream, then the result', async () => {
    const res = await fetch(`${server.url}/v1/pipelines/ask/runs`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ inputs: { question: 'Which port does the web UI listen on by default?' } }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('run-start');
    expect(events).toContain('step-end');
    expect(events.slice(-2)).toEqual(['run-end', 'result']);
    const result = JSON.parse(/event: result\ndata: (.*)\n/.exec(text)![1]);
    expect(result.outputs.answer).toContain('8470');
  });

  it.each([
    ['an unknown pipeline', '/v1/pipelines/nope/runs', { inputs: {} }, 404, 'pipeline_not_found'],
    ['a missing input', '/v1/pipelines/ask/runs', { inputs: {} }, 400, 'input_invalid'],
    ['a misspelt input', '/v1/pipelines/ask/runs', { inputs: { qestion: 'x' } }, 400, 'input_invalid'],
    ['inputs that are not an object', '/v1/pipelines/ask/runs', { inputs: 'x' }, 400, 'invalid_request'],
  ])('rejects %s', async (_name, path, body, status, code) => {
    const r = await postJson(`${server.url}${path}`, body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
  });

  it('searches like `loom search --json`, with k, lang and filter', async () => {
    const hits = await (await fetch(`${server.url}/v1/search?q=${encodeURIComponent('fetch retries')}&k=3`)).json();
    expect(hits).toHaveLength(3);
    expect(hits[0]).toMatchObject({ source: expect.any(String), heading: expect.any(String), text: expect.any(String), score: expect.any(Number) });
    const zh = await (await fetch(`${server.url}/v1/search?q=${encodeURIComponent('重试')}&lang=zh&k=5`)).json();
    expect(zh.length).toBeGreaterThan(0);
    for (const h of zh) expect(h.lang).toBe('zh');
    const filtered = await (await fetch(`${server.url}/v1/search?q=retries&filter=${encodeURIComponent('source=en/reference/**')}`)).json();
    for (const h of filtered) expect(h.source.startsWith('en/reference/')).toBe(true);
    const bad = await fetch(`${server.url}/v1/search?q=x&k=0`);
    expect(bad.status).toBe(400);
    expect((await fetch(`${server.url}/v1/search`)).status).toBe(400);
    expect((await fetch(`${server.url}/v1/search?q=x&filter=nonsense`)).status).toBe(400);
  });

  it('answers the probes, and counts requests, runs and errors in /metrics', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', worker: 0 });
    const ready = await (await fetch(`${server.url}/readyz`)).json();
    expect(ready).toMatchObject({ ready: true, store: { ok: true, chunks: expect.any(Number) }, model: { ok: true } });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/loom_http_requests_total\{route="\/v1\/pipelines\/:name\/runs",method="POST",status="200"\} \d+/);
    expect(text).toMatch(/loom_runs_total\{pipeline="ask",status="ok"\} [1-9]/);
    expect(text).toMatch(/loom_errors_total\{code="input_invalid"\} [1-9]/);
    expect(text).toContain('loom_http_request_duration_seconds_bucket');
    expect(text).toContain('process_resident_memory_bytes');
  });
});

describe('an ingest beside the running server', () => {
  it('is picked up without a restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'loom-serve-live-'));
    const docs = join(root, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'a.md'), '# Alpha\n\nThe alpha page talks about feeds and folders.\n');
    const dir = join(root, 'store');
    await ingest({ paths: [docs], store: dir, embedder: 'local' });
    const s = await serveOn(dir);
    try {
      const search = async () => (await (await fetch(`${s.url}/v1/search?q=zanzibarite&mode=lexical`)).json()) as { source: string }[];
      expect(await search()).toEqual([]);
      const before = (await (await fetch(`${s.url}/readyz`)).json()).store.generation;
      writeFileSync(join(docs, 'b.md'), '# Beta\n\nZanzibarite is the codename of the new importer.\n');
      await ingest({ paths: [docs], store: dir, embedder: 'local' });
      expect((await search()).map((h) => h.source)).toEqual(['b.md']);
      expect((await (await fetch(`${s.url}/readyz`)).json()).store.generation).toBeGreaterThan(before);
      // a store removed and built again from scratch is reopened
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(join(docs, 'b.md'), '# Beta\n\nThe importer is called Quillon now.\n');
      await ingest({ paths: [docs], store: dir, embedder: 'local' });
      const again = (await (await fetch(`${s.url}/v1/search?q=quillon&mode=lexical`)).json()) as { source: string }[];
      expect(again.map((h) => h.source)).toEqual(['b.md']);
    } finally {
      await s.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
