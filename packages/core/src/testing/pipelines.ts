// Tiny fixtures for tests that need a LoadedPipeline without a YAML file.
import type { LoadedPipeline, ModelConfig } from '../spec/types.js';

/** A LoadedPipeline with just `models:` (and optionally `store:`), for resolving models in tests. */
export function pipelineWithModels(models: Record<string, ModelConfig>, extra: { store?: string; dir?: string } = {}): LoadedPipeline {
  return {
    spec: { version: 1, name: 'test', inputs: {}, models, store: extra.store, steps: [], outputs: {}, tests: [] },
    dir: extra.dir ?? process.cwd(),
    source: '',
    warnings: [],
  };
}
