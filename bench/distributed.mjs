#!/usr/bin/env node
// Distributed runs (issue 15): `loom batch` of 1,000 one-call runs through a BullMQ queue to 4
// `loom worker` processes × concurrency 8, against the local OpenAI-compatible test server answering
// every call in 200 ms. Ideal: 1000 × 200 ms / 32 slots = 6.25 s. The same batch in one process with
// 32 runs at once (the in-process executor) is measured in the same run, and so is the per-job
// overhead: runs one at a time against a server answering at once, queue vs in process.
//   corepack pnpm exec tsc -b && node bench/distributed.mjs [--redis redis://127.0.0.1:6379] [--items 1000]
// Needs a Redis (default 127.0.0.1:6379); keys go under a prefix of their own, deleted at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const REDIS = arg('--redis', 'redis://127.0.0.1:6379');
const ITEMS = Number(arg('--items', '1000'));
const WORKERS = 4;
const CONCURRENCY = 8;
const LATENCY_MS = 200;
const SLOTS = WORKERS * CONCURRENCY;
const IDEAL_MS = (ITEMS * LATENCY_MS) / SLOTS;
const SEQUENTIAL = 100;

const core = await import(join(repo, 'packages/core/dist/index.js'));
const testing = await import(join(repo, 'packages/core/dist/testing/index.js'));
const bin = join(repo, 'packages/cli/dist/bin.js');

const fake = await testing.startFakeOpenAI({ latencyMs: LATENCY_MS });
const dir = mkdtempSync(join(tmpdir(), 'loom-bench-queue-'));
const file = join(dir, 'items.yaml');
writeFileSync(file, `version: 1
name: items
inputs:
  id: { type: string, required: true }
steps:
  - id: ask
    prompt: { template: "Item {{ inputs.id }}" }
outputs:
  text: "{{ steps.ask.text }}"
`);
const pipeline = await core.loadPipeline(file);
const prefix = testing.testQueuePrefix();
const env = { ...process.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-bench', CI: '1' };
const models = { default: core.parseModelFlag('openai:bench-model') };
const inputs = (n, tag) => Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}` }));

const workers = Array.from({ length: WORKERS }, () =>
  spawn(process.execPath, [bin, 'worker', '--queue', REDIS, '--prefix', prefix, '--concurrency', String(CONCURRENCY)], { env, stdio: 'ignore' }));
const executor = await core.createQueueExecutor({ url: REDIS, prefix, models });

async function batch(tag, n, options) {
  const t0 = performance.now();
  const summary = await core.runBatch(pipeline, inputs(n, tag), { ...options, run: { models, env, ...options.run } });
  const ms = performance.now() - t0;
  if (summary.ok !== n) throw new Error(`${tag}: ${summary.ok}/${n} ok`);
  return ms;
}

/** Where a job's round trip goes: a no-op step, worker and client in this process, one job at a time. */
async function roundTrip() {
  const { z } = await import(join(repo, 'packages/core/node_modules/zod/index.js'));
  core.defineStep({ kind: 'bench_noop', description: 'returns its input', params: z.object({ v: z.number() }), outputs: ['v'], callsModel: false, run: async (p) => p });
  const noop = join(dir, 'noop.yaml');
  writeFileSync(noop, 'version: 1\nname: noop\nsteps:\n  - id: e\n    bench_noop: { v: 1 }\noutputs: {}\n');
  const own = testing.testQueuePrefix();
  const marks = new Map();
  const worker = await core.startQueueWorker({ url: REDIS, prefix: own, concurrency: 1, onJob: (e) => marks.set(`${e.id}.${e.phase}`, performance.now()) });
  const exec = await core.createQueueExecutor({ url: REDIS, prefix: own });
  const rows = [];
  try {
    for (let i = 0; i < SEQUENTIAL + 10; i++) {
      const t0 = performance.now();
      await exec.execute({ runId: `noop${i}`, stepId: 'e', kind: 'bench_noop', params: { v: i }, attempt: 1, file: noop, run: async () => {} });
      const t1 = performance.now();
      const id = `noop${i}.e.step.1`;
      if (i >= 10) rows.push([marks.get(`${id}.start`) - t0, marks.get(`${id}.end`) - marks.get(`${id}.start`), t1 - marks.get(`${id}.end`), t1 - t0]);
    }
  } finally {
    await exec.close();
    await worker.close();
    await testing.dropQueuePrefix(REDIS, own);
  }
  const med = (k) => +rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1].toFixed(2);
  return { addToStartMs: med(0), runMs: med(1), endToClientMs: med(2), totalMs: med(3) };
}

try {
  while ((await testing.queueWorkerCount(REDIS, prefix)) < WORKERS) await new Promise((r) => setTimeout(r, 100));
  // every worker loads LangChain on its first job: warm them all before timing
  await batch('warm', SLOTS * 2, { parallel: SLOTS * 2, run: { executor } });
  await batch('warm-local', SLOTS, { parallel: SLOTS, run: {} });

  const calls0 = fake.requestsTo('chat').length;
  const queueMs = await batch('queue', ITEMS, { parallel: 256, run: { executor } });
  const queueCalls = fake.requestsTo('chat').length - calls0;
  const localMs = await batch('local', ITEMS, { parallel: SLOTS, run: {} });

  // per-job overhead: one run at a time, the server answering at once
  fake.setHandler(() => ({ content: 'ok', delayMs: 0 }));
  await batch('warm-seq', 10, { parallel: 1, run: { executor } });
  const seqQueue = await batch('seq-queue', SEQUENTIAL, { parallel: 1, run: { executor } });
  const seqLocal = await batch('seq-local', SEQUENTIAL, { parallel: 1, run: {} });

  const hops = await roundTrip();
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  const r = {
    items: ITEMS, workers: WORKERS, concurrency: CONCURRENCY, latencyMs: LATENCY_MS, idealMs: IDEAL_MS,
    queueMs: Math.round(queueMs), queueRatio: +(queueMs / IDEAL_MS).toFixed(3), modelCalls: queueCalls,
    localMs: Math.round(localMs), localRatio: +(localMs / IDEAL_MS).toFixed(3),
    perJobQueueMs: +(seqQueue / SEQUENTIAL).toFixed(2), perJobLocalMs: +(seqLocal / SEQUENTIAL).toFixed(2),
    perJobOverheadMs: +((seqQueue - seqLocal) / SEQUENTIAL).toFixed(2),
    noopJob: hops,
    machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`,
    loadAverage: load,
  };
  console.log(JSON.stringify(r, null, 2));
  console.log(`
| workload | time | vs ideal ${(IDEAL_MS / 1000).toFixed(2)} s |
| --- | ---: | ---: |
| ${ITEMS} runs via Redis, ${WORKERS} workers × ${CONCURRENCY} | ${(queueMs / 1000).toFixed(2)} s | ${r.queueRatio}× |
| ${ITEMS} runs in process, ${SLOTS} at once | ${(localMs / 1000).toFixed(2)} s | ${r.localRatio}× |

| one run at a time (${SEQUENTIAL} runs, server answers at once) | per run |
| --- | ---: |
| via Redis and a worker | ${r.perJobQueueMs} ms |
| in process | ${r.perJobLocalMs} ms |
| overhead of the queue per job | ${r.perJobOverheadMs} ms |

a no-op job, client and worker in this process (medians of ${SEQUENTIAL}): enqueue → worker starts ${hops.addToStartMs} ms, step ${hops.runMs} ms, worker done → client has it ${hops.endToClientMs} ms, total ${hops.totalMs} ms

model calls for the ${ITEMS} queued runs: ${queueCalls}; ${r.machine}; load average ${load}`);
} finally {
  await executor.close();
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.on('exit', r)))));
  await testing.dropQueuePrefix(REDIS, prefix);
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
