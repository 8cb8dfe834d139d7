#!/usr/bin/env node
// Engine overhead and CLI cold start (issue 3). Run by hand against the built dist:
//   corepack pnpm exec tsc -b && node bench/engine.mjs [--write]
// --write replaces the "Engine (issue 3)" section of docs/benchmarks.md with the results.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = await import(join(root, 'packages/core/dist/index.js'));
const { defineStep, runPipeline } = core;
const { z } = await import(join(root, 'packages/core/node_modules/zod/index.js'));

const CHAIN = 1_000;
const ITEMS = 10_000;
const REPEATS = 15;
const COLD_RUNS = 15;

const noopParams = z.object({ value: z.unknown() });
const noop = async (params) => ({ value: params.value });
defineStep({ kind: 'noop', description: 'does nothing', params: noopParams, outputs: ['value'], callsModel: false, run: noop });

function pipeline(steps, inputs = {}, outputs = {}) {
  return { spec: { version: 1, name: 'bench', inputs, models: {}, steps, outputs, tests: [] }, dir: root, source: '', warnings: [] };
}

const chain = pipeline(
  Array.from({ length: CHAIN }, (_, i) => ({ id: `s${i}`, kind: 'noop', params: { value: i === 0 ? 0 : `{{ steps.s${i - 1}.value }}` } })),
  {},
  { last: `{{ steps.s${CHAIN - 1}.value }}` },
);
const items = Array.from({ length: ITEMS }, (_, i) => ({ n: i }));
const fan = pipeline(
  [{ id: 'each', kind: 'noop', foreach: '{{ inputs.items }}', params: { value: '{{ item }}' } }],
  { items: { type: 'array', required: true } },
  { n: '{{ steps.each | size }}' },
);

// Baselines: the same work as plain async calls, including the parameter check the engine does.
async function chainBaseline() {
  let value = 0;
  for (let i = 0; i < CHAIN; i++) value = (await noop(noopParams.parse({ value }))).value;
  return value;
}
async function fanBaseline() {
  const out = [];
  for (const item of items) out.push(await noop(noopParams.parse({ value: item })));
  return out.length;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time and this process's CPU time (user + system), both in ms. */
async function time(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

async function measure(label, fn, baseline, n) {
  for (let i = 0; i < 3; i++) { await fn(); await baseline(); } // warm up the JIT
  const engine = [];
  const base = [];
  for (let i = 0; i < REPEATS; i++) {
    engine.push(await time(fn));
    base.push(await time(baseline));
  }
  const e = median(engine.map((x) => x.wall));
  const b = median(base.map((x) => x.wall));
  const ec = median(engine.map((x) => x.cpu));
  const bc = median(base.map((x) => x.cpu));
  return { label, n, engineMs: e, baselineMs: b, overheadUs: ((e - b) * 1000) / n, cpuOverheadUs: ((ec - bc) * 1000) / n };
}

async function check(result) {
  if (result.status !== 'ok') throw result.error;
  return result;
}

const listener = () => {};
const rows = [
  await measure(`chain of ${CHAIN} no-op steps`, () => runPipeline(chain, {}).then(check), chainBaseline, CHAIN),
  await measure(`foreach over ${ITEMS} items (concurrency 4)`, () => runPipeline(fan, { items }).then(check), fanBaseline, ITEMS),
  await measure(`chain of ${CHAIN}, with an event listener`, () => runPipeline(chain, {}, { listeners: [listener] }).then(check), chainBaseline, CHAIN),
  await measure(`foreach over ${ITEMS}, with an event listener`, () => runPipeline(fan, { items }, { listeners: [listener] }).then(check), fanBaseline, ITEMS),
];

function coldStart(args) {
  const times = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(times);
}

const bin = join(root, 'packages/cli/dist/bin.js');
const sample = 'examples/library/release-note.yaml';
const cold = [
  ['node -e 0', coldStart(['-e', '0'])],
  ['import @promptloom/core (no command)', coldStart(['--input-type=module', '-e', `await import(${JSON.stringify(join(root, 'packages/core/dist/index.js'))})`])],
  ['import @langchain/core/runnables alone', coldStart(['--input-type=module', '-e', `await import(${JSON.stringify(join(root, 'packages/core/node_modules/@langchain/core/dist/runnables/index.js'))})`])],
  ['loom --help', coldStart([bin, '--help'])],
  [`loom validate ${sample}`, coldStart([bin, 'validate', sample])],
];

const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.+)/) ?? [])[1] ?? cpus()[0]?.model ?? 'unknown';
const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
const fmt = (x, d = 1) => x.toFixed(d);

const lines = [
  '## Engine (issue 3)',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} with \`node bench/engine.mjs\` on ${nproc} CPUs (${cpu}), Node ${process.version}.`,
  `Medians of ${REPEATS} runs after 3 warm-up runs. The baseline does the same no-op work as a plain loop of awaited`,
  'async calls (with the same zod parameter check), so the difference is what the engine adds: planning the DAG,',
  'rendering `{{ }}` parameters, the concurrency bound, retry/timeout/abort plumbing and records.',
  '',
  '| workload | engine | plain loop | overhead per step (wall) | overhead per step (CPU) |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.label} | ${fmt(r.engineMs)} ms | ${fmt(r.baselineMs)} ms | ${fmt(r.overheadUs)} µs | ${fmt(r.cpuOverheadUs)} µs |`),
  '',
  'Goal: at most 30 µs per step above the baseline. The CPU column (this process\'s user + system time, GC threads',
  'included) is the steadier figure on a shared machine; wall clock also counts time other processes took the CPU.',
  `Load average while measuring: ${loadavg().map((x) => x.toFixed(1)).join(' ')}.`,
  '',
  `Cold start (median of ${COLD_RUNS} runs, wall clock, spawned from node):`,
  '',
  '| command | time |',
  '| --- | ---: |',
  ...cold.map(([label, ms]) => `| \`${label}\` | ${fmt(ms, 0)} ms |`),
  '',
  'At start-up the CLI imports only the light `@promptloom/core/spec` entry (commander, yaml, liquidjs, zod); the',
  'package index (engine with LangChain\'s runnables, store, providers, eval) loads inside the commands that need it,',
  'so `loom --help` and `loom validate` pay for neither hnswlib, SQLite nor LangChain (an import-trace test guards this).',
  'At load average ~3 `loom --help` measured 320-600 ms against 50-140 ms for `node -e 0`; the figures above were',
  'taken at the load average shown, so read them as ratios.',
  '',
];
const section = lines.join('\n');
console.log(section);

if (process.argv.includes('--write')) {
  const file = join(root, 'docs/benchmarks.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures from the scripts in bench/, run by hand. Each section names its script and machine.\n\n';
  const start = text.indexOf('## Engine (issue 3)');
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + 3);
  if (next >= 0) next += 1;
  const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${next >= 0 ? '\n' + text.slice(next) : ''}`;
  writeFileSync(file, updated.trimEnd() + '\n');
  console.log(`wrote ${file}`);
}
