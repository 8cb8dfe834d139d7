import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '@promptloom/core';

// A regression guard, not a tuned threshold: the figures in examples/eval/baseline.json were
// measured by bench/eval-examples.mjs; a change that loses more than `margin` of hybrid Recall@5
// fails here. After a deliberate change, re-run that script and commit the new baseline.
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const bin = resolve(here, '../dist/bin.js');
const evalDir = join(repo, 'examples/eval');

interface Figures { 'recall@5': number; 'ndcg@10': number }
interface Baseline {
  margin: number;
  retrieval: Record<'jsonl' | 'beir', Record<string, { overall: Figures }>>;
  answers: null | { refusalAccuracy: number | null; phraseRecall: number | null; citationPrecision: number | null };
}

function loom(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', CI: '1', LOOM_MODEL: '' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonReport { label: string; overall: { recall: Record<string, number>; ndcg: Record<string, number> }; rows: unknown[] }

let baseline: Baseline;
let tmp: string;
let store: string;

beforeAll(async () => {
  baseline = JSON.parse(await readFile(join(evalDir, 'baseline.json'), 'utf8'));
  tmp = await mkdtemp(join(tmpdir(), 'loom-eval-regression-'));
  store = join(tmp, 'store');
  await ingest({ paths: [join(repo, 'examples/community-docs')], store, embedder: 'local' });
}, 120_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

function expectNoRegression(report: JsonReport, recorded: Figures, what: string) {
  const now = report.overall.recall[5];
  const floor = recorded['recall@5'] - baseline.margin;
  const message = `${what} ${report.label}: Recall@5 ${now.toFixed(3)} (recorded ${recorded['recall@5']}, floor ${floor.toFixed(3)}); nDCG@10 ${report.overall.ndcg[10].toFixed(3)}`;
  expect(now, message).toBeGreaterThanOrEqual(floor);
}

// each case spawns whole CLI runs (an ingest with training, a full eval): room for a loaded 2-core machine
describe('eval regression on examples/eval (offline)', { timeout: 120_000 }, () => {
  it('keeps hybrid Recall@5 of the JSONL questions against an ingested store', () => {
    const r = loom('eval', 'retrieval', '--store', store, '--queries', join(evalDir, 'questions.jsonl'), '--compare', 'hybrid,vector,lexical', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { reports: JsonReport[] };
    expect(out.reports.map((x) => x.label)).toEqual(['hybrid', 'vector', 'lexical']);
    expect(out.reports[0].rows.length).toBeGreaterThanOrEqual(40);
    expectNoRegression(out.reports[0], baseline.retrieval.jsonl.hybrid.overall, 'questions.jsonl');
  });

  it('keeps hybrid Recall@5 of the BEIR export (ingested into a temporary store)', () => {
    const r = loom('eval', 'retrieval', '--corpus', join(evalDir, 'beir'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { reports: JsonReport[] };
    expectNoRegression(out.reports[0], baseline.retrieval.beir.hybrid.overall, 'beir');
  });

  it('fails the run with --fail-below when a figure is under the threshold', () => {
    const args = ['eval', 'retrieval', '--store', store, '--queries', join(evalDir, 'questions.jsonl'), '--no-misses'];
    const fail = loom(...args, '--fail-below', 'R@5=1.01');
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/below threshold: hybrid R@5 = 0\.\d{3} < 1\.01/);
    expect(fail.stdout).toMatch(/overall\s+hybrid\s+\d+\s+0\.\d{3}/);
    const pass = loom(...args, '--fail-below', `R@5=${(baseline.retrieval.jsonl.hybrid.overall['recall@5'] - baseline.margin).toFixed(3)}`);
    expect(pass.code, pass.stderr).toBe(0);
  });

  it('scores the offline answers of the ask recipe: refusals and expected phrases do not regress', () => {
    const r = loom('eval', 'answers', '--cases', join(evalDir, 'questions.jsonl'), '--store', store, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { pipeline: string; rows: { expect: string; status: string }[]; overall: Record<string, number | null> };
    expect(report.pipeline).toBe('ask');
    expect(report.rows.filter((x) => x.expect === 'refuse').length).toBeGreaterThanOrEqual(5);
    expect(report.overall.failed).toBe(0);
    expect(report.overall.tokensPerCase).toBe(0); // offline: no model, no tokens
    const recorded = baseline.answers;
    expect(recorded, 'examples/eval/baseline.json has no answer figures: run node bench/eval-examples.mjs').not.toBeNull();
    for (const key of ['refusalAccuracy', 'phraseRecall', 'citationPrecision'] as const) {
      const now = report.overall[key] ?? 0;
      expect(now, `${key} ${now.toFixed(3)} (recorded ${recorded![key]})`).toBeGreaterThanOrEqual((recorded![key] ?? 0) - baseline.margin);
    }
  });

  it('names the file and line of a bad question', async () => {
    const { writeFile } = await import('node:fs/promises');
    const bad = join(tmp, 'bad.jsonl');
    await writeFile(bad, '{"query": "ok", "gold": ["en/index.md"]}\n{"query": "x", "gold": 3}\n');
    const r = loom('eval', 'retrieval', '--store', store, '--queries', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2: "gold" must be a list of paths`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
