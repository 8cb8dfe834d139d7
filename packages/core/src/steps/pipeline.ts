import { pipelineParams, type PipelineParams } from './params.js';
import { defineStep } from './registry.js';

/**
 * Runs another pipeline (a recipe by name, or a file beside this one) as one step; its
 * outputs become this step's output. Nesting, path rules and recursion limits live in the
 * engine (engine/child.ts), which also shares the run's concurrency bound with the child.
 */
export const pipelineStep = defineStep<PipelineParams, Record<string, unknown>>({
  kind: 'pipeline',
  description: 'run another pipeline (recipe name or path) as a step',
  params: pipelineParams,
  outputs: ['*'],
  callsModel: false,
  run(p, ctx) {
    return ctx.runChild(p.use, p.inputs ?? {});
  },
});
