import type { ModelConfig } from '@promptloom/core';
import { KeyRing } from './auth.js';
import { Catalog } from './catalog.js';
import { RunGate } from './gate.js';
import { Metrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import { StoreHandle } from './store-handle.js';

/** What every route needs, built once per server. */
export interface Service {
  options: ServeOptions;
  store: StoreHandle;
  catalog: Catalog;
  gate: RunGate;
  metrics: Metrics;
  keys: KeyRing;
  /** the --model override for every run, or undefined (offline: extractive answers) */
  models?: Record<string, ModelConfig>;
  /** aborted when the server shuts down past its grace period */
  shutdown: AbortController;
}

export async function createService(options: ServeOptions): Promise<Service> {
  const core = await import('@promptloom/core');
  const modelFlag = options.model ?? options.env.LOOM_MODEL?.trim();
  const models = modelFlag ? { default: core.parseModelFlag(modelFlag) } : undefined;
  const catalog = await Catalog.load({ pipelinesDir: options.pipelinesDir, cwd: options.cwd, env: options.env, log: options.log });
  const gate = new RunGate(options.maxRuns, options.maxQueue);
  const metrics = new Metrics({ running: () => gate.running, queued: () => gate.queued });
  return {
    options, catalog, gate, metrics, models,
    store: new StoreHandle(options.store, options.env),
    keys: new KeyRing(options.apiKeys),
    shutdown: new AbortController(),
  };
}
