import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { ExecutionPlan, LoadedPipeline, ModelConfig } from '@promptloom/core';
import { type Io, writeJson } from '../io.js';
import type { RegisterCommand } from './types.js';

interface PlanFlags {
  json?: boolean;
  model?: string;
  concurrency?: number;
}

/** The plan as data: what `loom plan --json` and `loom run --dry-run --json` print. */
export function planJson(plan: ExecutionPlan, pipeline: LoadedPipeline, models: Record<string, ModelConfig>) {
  return {
    pipeline: plan.name,
    file: pipeline.file,
    waves: plan.waves,
    steps: plan.steps.map((s) => {
      const spec = pipeline.spec.steps.find((x) => x.id === s.id)!;
      return {
        id: s.id,
        kind: s.kind,
        wave: s.wave + 1,
        dependsOn: s.deps,
        ...(spec.when ? { when: spec.when } : {}),
        ...(spec.foreach ? { foreach: spec.foreach } : {}),
        callsModel: s.callsModel && Boolean(s.model && models[s.model]),
        ...(s.model ? { model: s.model } : {}),
        maxCalls: s.maxCalls,
        ...(s.concurrency ? { concurrency: s.concurrency } : {}),
      };
    }),
    maxModelCalls: plan.maxModelCalls,
    concurrency: plan.budget,
    modelsConfigured: Object.keys(models),
    streams: plan.streamStep ?? null,
  };
}

function describeCalls(plan: ExecutionPlan): string {
  const fixed = plan.steps.filter((s) => !s.foreach && typeof s.maxCalls === 'number').reduce((n, s) => n + (s.maxCalls as number), 0);
  const extra = plan.steps
    .filter((s) => s.maxCalls !== 0 && (s.foreach || s.maxCalls === 'unbounded'))
    .map((s) => (s.maxCalls === 'unbounded' ? `an unbounded number for ${s.id}` : `${s.maxCalls} per item of ${s.id}`));
  return [`at most ${fixed}`, ...extra].join(' + ');
}

export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError('expected a whole number from 1 to 1024');
  return n;
}

function describeStepConcurrency(c: NonNullable<ExecutionPlan['steps'][number]['concurrency']>): string {
  if (c.cappedBy) return `${c.effective} items at once (declares ${c.declared}, capped by ${c.cappedBy})`;
  return `${c.effective} item${c.effective === 1 ? '' : 's'} at once`;
}

function describeBudget(b: ExecutionPlan['budget']): string {
  const what = `at most ${b.limit} steps, foreach items and model calls at once`;
  if (b.explicit) return `${what} (--concurrency ${b.limit})`;
  if (b.raisedBy) return `${what} (default 4, raised to step ${b.raisedBy}'s declared concurrency; --concurrency N caps it)`;
  return `${what} (default; --concurrency N sets it)`;
}

/** The plan for a person: waves, which steps call a model, how many calls at most. */
export function formatPlan(plan: ExecutionPlan, pipeline: LoadedPipeline, models: Record<string, ModelConfig>): string {
  const lines = [`pipeline ${plan.name}: ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'} in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}`];
  plan.waves.forEach((wave, i) => {
    lines.push(`wave ${i + 1}:`);
    for (const id of wave) {
      const s = plan.byId.get(id)!;
      const spec = pipeline.spec.steps.find((x) => x.id === id)!;
      const notes: string[] = [s.kind];
      if (s.callsModel && s.model) notes.push(models[s.model] ? `model ${s.model} (${models[s.model].provider}:${models[s.model].model})` : `no model configured`);
      if (s.kind === 'pipeline' && typeof spec.params.use === 'string') notes.push(`runs ${spec.params.use}`);
      if (spec.foreach) notes.push(`for each of ${spec.foreach}`);
      if (s.concurrency) notes.push(describeStepConcurrency(s.concurrency));
      if (spec.when) notes.push(`when ${spec.when}`);
      if (s.deps.length) notes.push(`after ${s.deps.join(', ')}`);
      lines.push(`  ${id}  ${notes.join(' · ')}`);
    }
  });
  const anyModel = plan.steps.some((s) => s.callsModel && s.model && models[s.model]);
  if (!plan.steps.some((s) => s.callsModel)) lines.push('model calls: none');
  else if (!anyModel) lines.push('model calls: none: no model configured (summarize and answer run offline; prompt and translate need --model or models:)');
  else lines.push(`model calls: ${describeCalls(plan)}`);
  const children = plan.steps.filter((s) => s.kind === 'pipeline').map((s) => s.id);
  if (children.length > 0) lines.push(`(plus the calls of the pipelines run by ${children.join(', ')}: \`loom plan\` on those files shows them)`);
  if (plan.streamStep && anyModel) lines.push(`streams: ${plan.streamStep}`);
  lines.push(`concurrency: ${describeBudget(plan.budget)}`);
  return lines.join('\n') + '\n';
}

export async function loadForCli(file: string, io: Io): Promise<LoadedPipeline> {
  const core = await import('@promptloom/core');
  const { recipeRefResolver, recipeSearchPath } = await import('@promptloom/recipes');
  const recipe = recipeRefResolver(recipeSearchPath({ cwd: io.cwd, env: io.env }));
  const pipeline = await core.loadPipeline(resolve(io.cwd, file), { resolvePipelineRef: recipe });
  if (pipeline.warnings.length > 0) io.stderr.write(core.formatDiagnostics(pipeline.warnings, pipeline.source, file) + '\n');
  return pipeline;
}

async function plan(file: string, flags: PlanFlags, io: Io): Promise<void> {
  const core = await import('@promptloom/core');
  const pipeline = await loadForCli(file, io);
  const execution = core.planPipeline(pipeline, { concurrency: flags.concurrency });
  const models = core.effectiveModels(pipeline, { env: io.env, models: flags.model ? { default: core.parseModelFlag(flags.model) } : undefined });
  if (flags.json) writeJson(io, planJson(execution, pipeline, models));
  else io.stdout.write(formatPlan(execution, pipeline, models));
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('plan')
    .description('show how a pipeline would run: execution waves, which steps call a model, how many calls at most')
    .argument('<file>', 'pipeline YAML file')
    .option('--json', 'print the plan as JSON')
    .option('--model <provider:name>', 'plan as if run with this model (default: $LOOM_MODEL)')
    .option('--concurrency <n>', 'plan as if run with this bound: shows which steps it caps', parseConcurrency)
    .addHelpText('after', `
Examples:
  loom plan pipeline.yaml
  loom plan pipeline.yaml --model openai:gpt-4o-mini --json`)
    .action((file: string, flags: PlanFlags) => plan(file, flags, io));
};
