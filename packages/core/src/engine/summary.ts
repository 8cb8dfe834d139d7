import type { RunResult } from './types.js';

/**
 * A run as JSON: what `loom run --json` prints and what `loom serve` returns for a pipeline run,
 * so the two never drift apart. Errors keep their code and message, never a stack.
 */
export function summarizeRun(result: RunResult) {
  const steps: Record<string, unknown> = {};
  for (const [id, r] of Object.entries(result.steps)) {
    steps[id] = {
      status: r.status, durationMs: Math.round(r.durationMs), attempts: r.attempts, usage: r.usage, warnings: r.warnings,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.items !== undefined ? { items: r.items } : {}),
      ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
    };
  }
  return {
    status: result.status, runId: result.runId, outputs: result.outputs, steps, usage: result.usage,
    durationMs: Math.round(result.durationMs), notRun: result.notRun ?? [],
    ...(result.error ? { error: { code: result.error.code, message: result.error.message, step: result.error.stepId } } : {}),
  };
}

export type RunSummaryJson = ReturnType<typeof summarizeRun>;
