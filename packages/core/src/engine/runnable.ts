import { RunnableLambda, type Runnable, type RunnableConfig } from '@langchain/core/runnables';
import { LoomError } from '../errors.js';
import type { LoadedPipeline } from '../spec/types.js';
import { runPipeline } from './run.js';
import type { RunOptions } from './types.js';

export type PipelineRunnable = Runnable<Record<string, unknown> | string | number | boolean, Record<string, unknown>>;

/**
 * A pipeline as a LangChain Runnable: `invoke(inputs)` runs it and returns its outputs, so it
 * composes with LCEL (`.pipe()`, `.batch()`, RunnableSequence). A plain value (say, a string
 * from the previous runnable) is accepted when the pipeline has one input it can go to: its only
 * input, or its only input without a default (the others keep their defaults).
 * A failed run throws its LoomError (with the step id); a cancelled one throws RUN_ABORTED.
 */
export function toRunnable(pipeline: LoadedPipeline, options: RunOptions = {}): PipelineRunnable {
  const name = pipeline.spec.name;
  const declared = Object.keys(pipeline.spec.inputs ?? {});
  const target = plainValueInput(pipeline);
  const run = async (input: Record<string, unknown> | string | number | boolean, config?: RunnableConfig) => {
    let inputs: Record<string, unknown>;
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) inputs = input;
    else if (target) inputs = { [target]: input };
    else {
      throw new LoomError('INPUT_INVALID', `pipeline "${name}" takes an object of inputs${declared.length ? ` (${declared.join(', ')})` : ''}, got ${typeof input}`);
    }
    const signals = [options.signal, config?.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const result = await runPipeline(pipeline, inputs, { ...options, signal });
    if (result.status === 'ok') return result.outputs;
    throw result.error ?? new LoomError('RUN_ABORTED', `pipeline "${name}" was cancelled; not run: ${(result.notRun ?? []).join(', ')}`);
  };
  return RunnableLambda.from(run).withConfig({ runName: name }) as PipelineRunnable;
}

/** The input a plain value goes to: the only input, else the only one without a default. */
function plainValueInput(pipeline: LoadedPipeline): string | undefined {
  const entries = Object.entries(pipeline.spec.inputs ?? {});
  if (entries.length === 1) return entries[0][0];
  const open = entries.filter(([, spec]) => spec.default === undefined);
  return open.length === 1 ? open[0][0] : undefined;
}
