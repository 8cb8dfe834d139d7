import { resolve, relative } from 'node:path';
import { LoomError } from '@promptloom/core/spec';
import type { CaseResult, LoadedPipeline, RunOptions } from '@promptloom/core';
import { type Io, writeJson } from '../io.js';
import { createProgress } from '../progress.js';
import { RUN_STORE_HELP, storeOption } from '../store-flag.js';
import { formatTable } from './recipes.js';
import { interruptSignal, type RegisterCommand } from './types.js';

interface TestFlags {
  recipes?: boolean;
  model?: string;
  store?: string;
  json?: boolean;
  cache: boolean;
  grep?: string;
}

interface Target {
  file: string;
  pipeline?: LoadedPipeline;
  /** the file could not be loaded: counted as one failed case */
  error?: LoomError;
}

function shown(file: string, io: Io): string {
  const rel = relative(io.cwd, file);
  return rel.startsWith('..') ? file : rel;
}

async function targets(files: string[], flags: TestFlags, io: Io): Promise<Target[]> {
  const core = await import('@promptloom/core');
  const recipes = await import('@promptloom/recipes');
  const dirs = recipes.recipeSearchPath({ cwd: io.cwd, env: io.env });
  const paths = files.map((f) => resolve(io.cwd, f));
  if (flags.recipes) paths.push(...recipes.listRecipes(dirs).map((r) => r.file));
  if (paths.length === 0) throw new LoomError('USAGE', 'loom test needs pipeline files or --recipes', { hint: 'loom test pipeline.yaml, or loom test --recipes' });
  const resolver = recipes.recipeRefResolver(dirs);
  const out: Target[] = [];
  for (const file of paths) {
    try {
      out.push({ file, pipeline: await core.loadPipeline(file, { resolvePipelineRef: resolver }) });
    } catch (error) {
      out.push({ file, error: core.toLoomError(error) });
    }
  }
  return out;
}

/** A file that does not load fails as one case, with its diagnostics as the details. */
function loadFailure(target: Target, io: Io): CaseResult {
  const err = target.error!;
  return {
    pipeline: shown(target.file, io), file: target.file, name: '(load)', status: 'failed', errorCode: err.code,
    reason: `${err.code}: ${err.message}`, checks: [], durationMs: 0, tokens: 0,
  };
}

function checksCell(c: CaseResult): string {
  if (c.status === 'skipped') return (c.reason ?? '').replace(/ \(.*\)$/, '');
  if (c.checks.length === 0) return c.reason ? c.reason.split('\n')[0].slice(0, 70) : '';
  const ok = c.checks.filter((k) => k.ok).length;
  return `${ok}/${c.checks.length}`;
}

function details(cases: CaseResult[]): string {
  const lines: string[] = [];
  for (const c of cases.filter((x) => x.status === 'failed')) {
    lines.push(`\n✗ ${c.pipeline} › ${c.name}${c.file ? ` (${c.file})` : ''}`);
    if (c.checks.length === 0 && c.reason) lines.push(...c.reason.split('\n').map((l) => `    ${l}`));
    for (const k of c.checks.filter((x) => !x.ok)) {
      lines.push(`    ✗ ${k.label}`);
      if (k.detail) lines.push(`      ${k.detail}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function printReport(cases: CaseResult[], io: Io): void {
  const rows = [['PIPELINE', 'CASE', 'STATUS', 'CHECKS', 'TIME']];
  for (const c of cases) rows.push([c.pipeline, c.name, c.status, checksCell(c), c.status === 'skipped' ? '' : `${Math.round(c.durationMs)} ms`]);
  io.stdout.write(formatTable(rows, io));
  io.stdout.write(details(cases));
}

async function test(files: string[], flags: TestFlags, io: Io, setExit: (code: number) => void): Promise<void> {
  const core = await import('@promptloom/core');
  const list = await targets(files, flags, io);
  const recipes = await import('@promptloom/recipes');
  const options: RunOptions = {
    models: flags.model ? { default: core.parseModelFlag(flags.model) } : undefined,
    store: storeOption(flags.store, io),
    cache: flags.cache, env: io.env, signal: interruptSignal(),
    recipeDirs: recipes.recipeDirs({ cwd: io.cwd, env: io.env }),
  };
  const total = list.reduce((n, t) => n + (t.pipeline?.spec.tests.length ?? 1), 0);
  const progress = flags.json ? undefined : await createProgress(io, 'test');
  progress?.start(total);
  const cases: CaseResult[] = [];
  try {
    for (const target of list) {
      if (interruptSignal()?.aborted) break;
      if (!target.pipeline) {
        cases.push(loadFailure(target, io));
        progress?.increment();
        continue;
      }
      const label = { pipeline: target.pipeline.spec.name };
      const results = await core.runPipelineTests(target.pipeline, { ...options, filter: flags.grep, onCase: () => progress?.increment() });
      cases.push(...results.map((r) => ({ ...r, ...label })));
    }
  } finally {
    progress?.stop();
  }
  const summary = core.summarizeTestRun(cases);
  if (flags.json) {
    writeJson(io, { ...summary, cases: cases.map((c) => ({ ...c, durationMs: Math.round(c.durationMs) })) });
  } else {
    if (cases.length) printReport(cases, io);
    const needModel = cases.filter((c) => c.status === 'skipped' && /needs a model/.test(c.reason ?? '')).length;
    if (needModel) io.stdout.write(`\n${needModel} case${needModel === 1 ? ' needs' : 's need'} a model: run with --model PROVIDER:NAME (or LOOM_MODEL), e.g. --model openai:gpt-4o-mini\n`);
    io.stdout.write(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
  }
  if (interruptSignal()?.aborted) throw new LoomError('RUN_ABORTED', 'interrupted: not every test ran');
  if (summary.failed > 0) setExit(1);
}

export const register: RegisterCommand = (program, io, setExit) => {
  program
    .command('test')
    .description('run the tests: cases of pipeline files (or of every recipe) and check their assertions')
    .argument('[files...]', 'pipeline YAML files with a tests: block')
    .option('--recipes', 'also test every recipe (./recipes, the user folder, the shipped ones)')
    .option('--model <provider:name>', 'run with this model: `mode: model` cases run and `mode: offline` ones are skipped (default: $LOOM_MODEL; none: offline)')
    .option('--store <dir>', RUN_STORE_HELP)
    .option('--grep <text>', 'only cases whose name contains this text')
    .option('--json', 'print {cases, passed, failed, skipped} as JSON')
    .option('--no-cache', 'bypass the model call cache')
    .addHelpText('after', `
Each case runs the pipeline with its inputs and checks its assertions (contains, not_contains,
matches, equals, cites, grounded, max_tokens). A case with mode: model runs only when a model
is configured, mode: offline only when none is; expect_error: CODE passes when the run fails
with that code. Exit code 1 when a case failed.

Examples:
  loom test pipeline.yaml
  loom test --recipes --store .loom
  OPENAI_BASE_URL=http://127.0.0.1:11434/v1 loom test --recipes --model openai:qwen2.5`)
    .action((files: string[], flags: TestFlags) => test(files, flags, io, setExit));
};
