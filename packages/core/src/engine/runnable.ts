import { RunnableLambda, type Runnable, type RunnableConfig } from '@langchain/core/runnables';
import { LoomError } from '../errors.js';
import type { LoadedPipeline } from '../spec/types.js';
import { runPipeline } from './run.js';
import type { RunOptions } from './types.js';

export type PipelineRunnable = Runnable<Record<string, unknown> | string | number | boolean, Record<string, unknown>>;

/**
 * A pipeline as a LangChain Runnable: `invoke(inputs)` runs it and returns its outputs, so it
 * composes with LCEL (`.pipe()`, `.batch()`, RunnableSequence). A plain value (say, a string
 * from the previous runnable) is accepted when the pipeline declares exactly one input.
 * A failed run throws its LoomError (with the step id); a cancelled one throws RUN_ABORTED.
 */
export function toRunnable(pipeline: LoadedPipeline, options: RunOptions = {}): PipelineRunnable {
  const name = pipeline.spec.name;
  const declared = Object.keys(pipeline.spec.inputs ?? {});
  const run = async (input: Record<string, unknown> | string | number | boolean, config?: RunnableConfig) => {
    let inputs: Record<string, unknown>;
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) inputs = input;
    else if (declared.length === 1) inputs = { [declared[0]]: input };
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
