import { LoomError } from '../errors.js';
import type { LoadedPipeline, PipelineSpec, StepSpec } from '../spec/types.js';
import { isTemplate, templateRefs, valueRefs } from '../spec/template.js';
import { BUILTIN_STEPS } from '../steps/params.js';
import { getStep } from '../steps/registry.js';
import { runBudget, stepConcurrency, type RunBudget, type StepConcurrency } from './budget.js';
import { pathOf } from './render.js';

export interface PlannedStep {
  id: string;
  kind: string;
  /** steps whose outputs this step's templates (params, when, foreach) reference */
  refs: string[];
  /** explicit `needs:` (ordering only) */
  needs: string[];
  /** refs ∪ needs: what must finish before this step starts */
  deps: string[];
  dependents: string[];
  /** 0-based execution wave: 1 + the highest wave among deps */
  wave: number;
  /** the kind calls a model when one is configured */
  callsModel: boolean;
  /** the `models:` entry it would use */
  model?: string;
  /** most model calls of one run of the step (of one item, for foreach) */
  maxCalls: number | 'unbounded';
  foreach: boolean;
  /** foreach steps: items at once, as declared and as they will run under the run's budget */
  concurrency?: StepConcurrency;
  /** the step's output reaches `outputs:` (directly or through other steps) */
  feedsOutputs: boolean;
}

export interface ExecutionPlan {
  name: string;
  /** in topological order (declaration order among steps ready together) */
  steps: PlannedStep[];
  byId: Map<string, PlannedStep>;
  waves: string[][];
  /** steps referenced by `outputs:` */
  outputRefs: string[];
  /** the last model-calling step feeding `outputs:`: the one whose tokens stream */
  streamStep?: string;
  /** upper bound of model calls for one run; 'unbounded' when a foreach or map-reduce step calls a model */
  maxModelCalls: number | 'unbounded';
  /** attempts and model calls in flight at once, for the whole run (children share it) */
  budget: RunBudget;
}

export interface PlanOptions {
  /** the run's explicit bound (`--concurrency`); without it declared step concurrency is honoured */
  concurrency?: number;
}

interface KindInfo {
  callsModel: boolean;
  maxCalls?: (params: Record<string, unknown>) => number | 'unbounded';
}

export function kindInfo(kind: string): KindInfo | undefined {
  return getStep(kind) ?? BUILTIN_STEPS[kind];
}

/** Step ids referenced as `steps.<id>` in a list of variable paths. */
export function stepIdsOf(paths: (string | number)[][]): string[] {
  const ids = new Set<string>();
  for (const p of paths) if (p[0] === 'steps' && typeof p[1] === 'string') ids.add(p[1]);
  return [...ids];
}

const refCache = new Map<string, (string | number)[][]>();

/** templateRefs with a cache and a shortcut for plain `{{ a.b }}` paths: planning parses every template once per process. */
function refsOfText(text: string): (string | number)[][] {
  let refs = refCache.get(text);
  if (!refs) {
    const path = pathOf(text);
    refs = path ? [path] : templateRefs(text);
    if (refCache.size > 50_000) refCache.clear();
    refCache.set(text, refs);
  }
  return refs;
}

function collectRefs(value: unknown, into: (string | number)[][]): void {
  if (typeof value === 'string') {
    if (isTemplate(value)) for (const r of refsOfText(value)) into.push(r);
  } else if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collectRefs(v, into);
  }
}

function refsOf(step: StepSpec, file?: string): string[] {
  try {
    const paths: (string | number)[][] = [];
    collectRefs(step.params, paths);
    if (step.when) paths.push(...templateRefs(step.when, true));
    if (step.foreach) collectRefs(step.foreach, paths);
    return stepIdsOf(paths);
  } catch (error) {
    throw new LoomError('SPEC_INVALID', `step "${step.id}": template syntax error: ${(error as Error).message.split('\n')[0]}`, {
      file, stepId: step.id, cause: error,
    });
  }
}

function maxCallsOf(step: StepSpec, info: KindInfo | undefined): number | 'unbounded' {
  if (!info?.callsModel) return 0;
  if (!info.maxCalls) return 1;
  try {
    return info.maxCalls(step.params);
  } catch {
    return 'unbounded';
  }
}

/**
 * Builds the DAG of a pipeline from its template references plus `needs:`, and orders it
 * into waves. Throws SPEC_INVALID for unknown kinds, unknown step references and cycles
 * (the validator reports these with positions first; this guards pipelines built in code).
 */
export function planPipeline(pipeline: LoadedPipeline | PipelineSpec, options: PlanOptions = {}): ExecutionPlan {
  const spec = 'spec' in pipeline ? pipeline.spec : pipeline;
  const file = 'spec' in pipeline ? pipeline.file : undefined;
  const declared = new Map<string, StepSpec>();
  for (const s of spec.steps) {
    if (declared.has(s.id)) throw new LoomError('SPEC_INVALID', `duplicate step id "${s.id}"`, { file, stepId: s.id });
    declared.set(s.id, s);
  }
  const nodes = new Map<string, PlannedStep>();
  for (const s of spec.steps) nodes.set(s.id, makeNode(s, declared, file));
  for (const n of nodes.values()) for (const d of n.deps) nodes.get(d)!.dependents.push(n.id);

  const order = topologicalOrder(spec.steps.map((s) => nodes.get(s.id)!), nodes, file);
  const waves: string[][] = [];
  for (const n of order) {
    n.wave = n.deps.reduce((w, d) => Math.max(w, nodes.get(d)!.wave + 1), 0);
    (waves[n.wave] ??= []).push(n.id);
  }
  const outputRefs = stepIdsOf(valueRefs(spec.outputs)).filter((id) => nodes.has(id));
  markFeeders(outputRefs, nodes);
  const streamStep = [...order].reverse().find((n) => n.feedsOutputs && n.callsModel && !n.foreach)?.id;
  let total = 0;
  let unbounded = false;
  for (const n of order) {
    if (n.maxCalls === 'unbounded' || (n.foreach && n.maxCalls > 0)) unbounded = true;
    else total += n.maxCalls;
  }
  const maxModelCalls = unbounded ? 'unbounded' : total;
  const budget = runBudget(spec.steps, options.concurrency);
  for (const s of spec.steps) if (s.foreach !== undefined) nodes.get(s.id)!.concurrency = stepConcurrency(s, budget);
  return { name: spec.name, steps: order, byId: nodes, waves, outputRefs, streamStep, maxModelCalls, budget };
}

function makeNode(step: StepSpec, declared: Map<string, StepSpec>, file?: string): PlannedStep {
  const info = kindInfo(step.kind);
  if (!info) throw new LoomError('SPEC_INVALID', `step "${step.id}": unknown step kind "${step.kind}"`, { file, stepId: step.id });
  const refs = refsOf(step, file);
  const needs = step.needs ?? [];
  for (const d of [...refs, ...needs]) {
    if (!declared.has(d)) {
      throw new LoomError('SPEC_INVALID', `step "${step.id}" references step "${d}", which does not exist`, { file, stepId: step.id });
    }
  }
  return {
    id: step.id,
    kind: step.kind,
    refs,
    needs,
    deps: [...new Set([...refs, ...needs])],
    dependents: [],
    wave: 0,
    callsModel: info.callsModel,
    model: info.callsModel ? step.model ?? 'default' : undefined,
    maxCalls: maxCallsOf(step, info),
    foreach: step.foreach !== undefined,
    feedsOutputs: false,
  };
}

function topologicalOrder(declaredOrder: PlannedStep[], nodes: Map<string, PlannedStep>, file?: string): PlannedStep[] {
  const remaining = new Map(declaredOrder.map((n) => [n.id, n.deps.length]));
  const ready = declaredOrder.filter((n) => n.deps.length === 0);
  const order: PlannedStep[] = [];
  for (let i = 0; i < ready.length; i++) {
    const n = ready[i];
    order.push(n);
    for (const d of n.dependents) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(nodes.get(d)!);
    }
  }
  if (order.length < declaredOrder.length) {
    const stuck = declaredOrder.filter((n) => remaining.get(n.id)! > 0).map((n) => n.id);
    throw new LoomError('SPEC_INVALID', `dependency cycle among steps: ${describeCycle(stuck, nodes)}`, {
      file, stepId: stuck[0], hint: 'a step cannot use, directly or through others, its own output',
    });
  }
  return order;
}

function describeCycle(stuck: string[], nodes: Map<string, PlannedStep>): string {
  const inStuck = new Set(stuck);
  const path: string[] = [];
  let cur = stuck[0];
  while (!path.includes(cur)) {
    path.push(cur);
    cur = nodes.get(cur)!.deps.find((d) => inStuck.has(d)) ?? cur;
  }
  return [...path.slice(path.indexOf(cur)), cur].join(' → ');
}

function markFeeders(outputRefs: string[], nodes: Map<string, PlannedStep>): void {
  const stack = [...outputRefs];
  while (stack.length > 0) {
    const n = nodes.get(stack.pop()!)!;
    if (n.feedsOutputs) continue;
    n.feedsOutputs = true;
    stack.push(...n.refs);
  }
}
