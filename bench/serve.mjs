#!/usr/bin/env node
// `loom serve` under load (issue 17), run by hand after `pnpm build`:
//   node bench/serve.mjs --corpus PATH/TO/vue-docs [--soak-seconds 300] [--skip-soak]
// 1. 64 concurrent streaming chat clients × 2,000 requests against the fake model server at 200 ms
//    per call: errors, requests/s against what the model's latency allows (64 / 0.2 s), and
//    time-to-first-token against a bare Node http server that waits 200 ms then streams (same run).
// 2. GET /v1/search on the corpus (en + zh) with --workers 2: requests/s and p99, beside a bare
//    Node http server answering the same JSON body.
// 3. A soak at steady streaming load: the server's RSS after warm-up and at the end.
// The corpus is the Vue.js docs (vuejs/docs, CC BY 4.0); it is not part of this repository.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const autocannon = createRequire(join(root, 'packages/server/package.json'))('autocannon');
const { ingest } = await import(join(root, 'packages/core/dist/index.js'));
const { startFakeOpenAI } = await import(join(root, 'packages/core/dist/testing/index.js'));
const bin = join(root, 'packages/cli/dist/bin.js');

const { values: opts } = parseArgs({ options: { corpus: { type: 'string' }, 'soak-seconds': { type: 'string', default: '300' }, 'skip-soak': { type: 'boolean' } } });
if (!opts.corpus || !existsSync(join(opts.corpus, 'en'))) {
  console.error('usage: node bench/serve.mjs --corpus DIR (the Vue docs: DIR/en and DIR/zh; get them from vuejs/docs)');
  process.exit(1);
}
const MODEL_MS = 200;
const CLIENTS = 64;
const REQUESTS = 2000;
const work = mkdtempSync(join(tmpdir(), 'loom-serve-bench-'));
const children = [];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** `loom serve` in a child process, resolved with its URL and pid once it prints its line. */
function serve(store, args, env = {}) {
  const child = spawn(process.execPath, [bin, 'serve', '--store', store, '--port', '0', '--rate-limit', '0', ...args], { env: { ...process.env, LOOM_API_KEYS: '', ...env } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^listening (\S+)/.exec(out);
      if (m) resolve({ url: m[1], pid: child.pid, child });
    });
    child.on('exit', (code) => reject(new Error(`loom serve exited ${code}`)));
  });
}

async function stop(server) {
  server.child.removeAllListeners('exit');
  const done = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await done;
}

/** A bare Node http server: the floor any server on this machine can reach. */
function bare(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

const chatBody = JSON.stringify({ model: 'ask', stream: true, messages: [{ role: 'user', content: 'How do I configure retries for feeds that fail to fetch?' }] });

async function load(url, extra) {
  const r = await autocannon({ url, connections: CLIENTS, amount: REQUESTS, method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody, timeout: 60, ...extra });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, total: r.requests.total ?? REQUESTS };
}

/** Time to the first content delta, sampled with a few concurrent clients. */
async function ttft(url, samples = 120, concurrency = 8) {
  const times = [];
  const one = () => new Promise((resolve, reject) => {
    const t0 = performance.now();
    let seen = false;
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', (c) => {
        if (!seen && /"content":"[^"]/.test(c.toString())) {
          seen = true;
          times.push(performance.now() - t0);
        }
      });
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(chatBody);
  });
  let left = samples;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (left-- > 0) await one(); }));
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

async function chatBench(store) {
  const fake = await startFakeOpenAI({ latencyMs: MODEL_MS });
  const server = await serve(store, ['--model', 'openai:fake-model', '--max-runs', String(CLIENTS), '--queue', String(CLIENTS)], { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-bench' });
  await ttft(server.url, 16); // warm-up
  const ours = await load(`${server.url}/v1/chat/completions`);
  const oursTtft = await ttft(server.url);
  const words = 'Retries are configured in the fetch.retry section of tidewren.yaml [1].'.split(' ');
  const floor = await bare((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const w of words) res.write(`data: {"choices":[{"delta":{"content":"${w} "}}]}\n\n`);
      res.end('data: [DONE]\n\n');
    }, MODEL_MS));
  });
  const base = await load(`${floor.url}/v1/chat/completions`);
  const baseTtft = await ttft(floor.url);
  floor.close();
  await stop(server);
  await fake.close();
  return { ours, base, oursTtft, baseTtft, ideal: CLIENTS / (MODEL_MS / 1000) };
}

async function searchBench(store) {
  const queries = readFileSync(join(root, 'bench/vue-eval/queries.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).query);
  const server = await serve(store, ['--workers', '2']);
  let i = 0;
  const path = () => `/v1/search?k=10&q=${encodeURIComponent(queries[i++ % queries.length])}`;
  const sample = await (await fetch(server.url + path())).text();
  const run = (url) => autocannon({ url, connections: 32, duration: 15, requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }] });
  await autocannon({ url: server.url, connections: 8, duration: 3, requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }] }); // warm-up
  const ours = await run(server.url);
  const floor = await bare((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(sample));
  const base = await run(floor.url);
  floor.close();
  await stop(server);
  const pick = (r) => ({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx });
  return { ours: pick(ours), base: pick(base), bytes: sample.length };
}

function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

async function soak(store, seconds) {
  const fake = await startFakeOpenAI({ latencyMs: MODEL_MS });
  const server = await serve(store, ['--model', 'openai:fake-model', '--max-runs', '64'], { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-bench' });
  const samples = [];
  const timer = setInterval(() => samples.push({ t: performance.now(), rss: rssOf(server.pid) }), 5000);
  const r = await autocannon({ url: `${server.url}/v1/chat/completions`, connections: 16, duration: seconds, method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody, timeout: 60 });
  clearInterval(timer);
  await stop(server);
  await fake.close();
  const warm = samples[Math.floor(samples.length / 5)].rss;
  const end = samples[samples.length - 1].rss;
  return { seconds, requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx, warm, end, max: Math.max(...samples.map((s) => s.rss)), growth: (end - warm) / warm };
}

const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
try {
  const docs = join(work, 'docs-store');
  await ingest({ paths: [join(root, 'examples/community-docs')], store: docs, embedder: 'local' });
  const vue = join(work, 'vue-store');
  await ingest({ paths: [join(opts.corpus, 'en'), join(opts.corpus, 'zh')], store: vue, embedder: 'local' });
  const load0 = loadavg().map((l) => l.toFixed(1)).join(' ');
  const chat = await chatBench(docs);
  const search = await searchBench(vue);
  const soaked = opts['skip-soak'] ? undefined : await soak(docs, Number(opts['soak-seconds']));
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}; load average at start ${load0}, at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log(`1. streaming chat, ${CLIENTS} clients × ${REQUESTS} requests, fake model at ${MODEL_MS} ms (ideal ${chat.ideal} req/s)\n`);
  console.log('| server | req/s | of ideal | p50 ms | p99 ms | errors | TTFT p50 ms | TTFT p99 ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, r, t] of [['loom serve', chat.ours, chat.oursTtft], ['bare Node http (200 ms, then stream)', chat.base, chat.baseTtft]]) {
    console.log(`| ${name} | ${r.rps.toFixed(0)} | ${((100 * r.rps) / chat.ideal).toFixed(0)}% | ${r.p50} | ${r.p99} | ${r.errors} | ${t.p50.toFixed(0)} | ${t.p99.toFixed(0)} |`);
  }
  console.log(`\nTTFT overhead over the model's ${MODEL_MS} ms: p50 ${(chat.oursTtft.p50 - MODEL_MS).toFixed(0)} ms (bare server: ${(chat.baseTtft.p50 - MODEL_MS).toFixed(0)} ms)`);
  console.log(`\n2. GET /v1/search on the corpus, --workers 2, 32 connections, 15 s (response ~${(search.bytes / 1024).toFixed(0)} KB)\n`);
  console.log('| server | req/s | p50 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: |');
  console.log(`| loom serve --workers 2 | ${search.ours.rps.toFixed(0)} | ${search.ours.p50} | ${search.ours.p99} | ${search.ours.errors} |`);
  console.log(`| bare Node http, same body | ${search.base.rps.toFixed(0)} | ${search.base.p50} | ${search.base.p99} | ${search.base.errors} |`);
  if (soaked) {
    console.log(`\n3. soak: ${soaked.seconds} s of streaming chat at 16 connections: ${soaked.requests} requests, ${soaked.errors} errors; RSS after warm-up ${mb(soaked.warm)}, at the end ${mb(soaked.end)} (max ${mb(soaked.max)}): ${(100 * soaked.growth).toFixed(1)}%`);
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
