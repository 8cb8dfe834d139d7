import { CheckContext, isPlainObject } from './context.js';
import { closest } from './diagnostics.js';
import type { StepInfo } from './check-structure.js';

/**
 * Dependency cycles through references and needs, reported on every step of each cycle.
 * Strongly connected components (Tarjan) so one tangled group gives one message per step,
 * naming a concrete loop through it.
 */
export function checkCycles(ctx: CheckContext, steps: StepInfo[], deps: Map<string, Set<string>>): void {
  for (const component of stronglyConnected(deps)) {
    if (component.length < 2) continue;
    const members = new Set(component);
    for (const step of steps) {
      if (!step.id || !members.has(step.id)) continue;
      const loop = findLoop(step.id, deps, members);
      ctx.report('cycle', `step "${step.id}" is in a dependency cycle: ${loop.join(' -> ')}`, ['steps', step.index, 'id'], {
        hint: 'steps may refer to later steps, but not in a circle; remove one reference or needs entry',
      });
    }
  }
}

function stronglyConnected(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** A shortest path from `start` back to itself inside the component (breadth first). */
function findLoop(start: string, graph: Map<string, Set<string>>, members: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let cur = v; cur !== start; cur = prev.get(cur)!) path.splice(1, 0, cur);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** `model:` must name an entry of models:, unless models: is empty (--model may supply it). */
export function checkModelRefs(ctx: CheckContext, steps: StepInfo[]): void {
  const root = ctx.value as Record<string, unknown>;
  const models = isPlainObject(root.models) ? Object.keys(root.models) : [];
  for (const step of steps) {
    const name = step.raw.model;
    if (typeof name !== 'string' || models.includes(name)) continue;
    const path = ['steps', step.index, 'model'];
    if (models.length === 0) {
      ctx.report('unknown-model', `step "${step.id ?? step.index + 1}" uses model "${name}" but the pipeline declares no models:`, path, {
        severity: 'warning',
        hint: `declare it under models: or supply it at run time (loom run --model openai:<model>)`,
      });
      continue;
    }
    const guess = closest(name, models);
    ctx.report('unknown-model', `step "${step.id ?? step.index + 1}" uses model "${name}", which is not in models:`, path, {
      hint: guess ? `did you mean "${guess}"?` : `models are: ${models.join(', ')}`,
    });
  }
}
