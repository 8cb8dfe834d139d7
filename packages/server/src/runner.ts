import { resolve } from 'node:path';
import type { RunEventListener, RunResult } from '@promptloom/core';
import type { CatalogEntry } from './catalog.js';
import type { Service } from './service.js';

export interface RunRequest {
  entry: CatalogEntry;
  inputs: Record<string, unknown>;
  signal: AbortSignal;
  onToken?: (delta: string) => void;
  listeners?: RunEventListener[];
}

/**
 * Runs one catalogue pipeline for a request, inside the run gate: on the server's read-only store,
 * with the server's model, no call cache (it would write into the store) and no ledger.
 */
export async function runEntry(service: Service, req: RunRequest): Promise<RunResult> {
  const core = await import('@promptloom/core');
  const signal = AbortSignal.any([req.signal, service.shutdown.signal]);
  return service.gate.run(async () => {
    const result = await core.runPipeline(req.entry.pipeline, req.inputs, {
      store: service.store.dir,
      openStore: (dir, { env }) => (resolve(dir) === service.store.dir ? service.store.forRun() : core.openStore(dir, { readonly: true, env })),
      models: service.models, cache: false, env: service.options.env, recipeDirs: service.catalog.dirs,
      signal, onToken: req.onToken, listeners: [service.metrics.onRunEvent, ...(req.listeners ?? [])],
    });
    service.metrics.runs.inc({ pipeline: req.entry.name, status: result.status });
    return result;
  }, signal);
}

/** The run's outputs, or the error that stopped it (a cancelled run is RUN_ABORTED). */
export async function outputsOf(result: RunResult): Promise<Record<string, unknown>> {
  if (result.status === 'ok') return result.outputs;
  const { LoomError } = await import('@promptloom/core');
  if (result.status === 'cancelled') throw new LoomError('RUN_ABORTED', 'the run was cancelled');
  throw result.error ?? new LoomError('RUN_STEP_FAILED', 'the run failed');
}
