import { toLoomError } from '../errors.js';
import type { ModelCallRequest, ModelHandle } from '../providers/types.js';
import type { AttemptSlots } from './budget.js';
import type { Usage } from './events.js';
import type { RunState } from './state.js';
import type { ModelCallRecord } from './types.js';

/**
 * The step's view of its model: every call, answered or failed, is handed to `record` once.
 * Calls default to the attempt's signal, so a timeout or cancellation stops the HTTP request too.
 * A queue worker wraps its model the same way and ships the records back to the run.
 */
export function wrapModel(
  handle: ModelHandle,
  call: { signal: AbortSignal; cache?: boolean; record: (rec: ModelCallRecord) => void; slot?: AttemptSlots },
): ModelHandle {
  const { signal, record, slot } = call;
  const label = `${handle.provider}:${handle.model}`;
  return {
    name: handle.name,
    provider: handle.provider,
    model: handle.model,
    config: handle.config,
    contextTokens: handle.contextTokens,
    countTokens: (text: string) => handle.countTokens(text),
    async call(request: ModelCallRequest) {
      const t0 = performance.now();
      const req: ModelCallRequest = { ...request, signal: request.signal ?? signal, cache: request.cache ?? call.cache };
      // A timed-out or cancelled attempt is over when its signal aborts, before the HTTP call
      // unwinds: count the failed call then, or the last attempt would miss the run ledger.
      let counted = false;
      const failed = (error: unknown) => {
        if (counted) return;
        counted = true;
        const e = toLoomError(error);
        record({
          model: label, promptTokens: 0, completionTokens: 0, estimated: true, cached: false,
          latencyMs: Math.round(performance.now() - t0), error: e.message, code: e.code,
        });
      };
      const onAbort = () => failed(req.signal!.reason);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // every call takes a slot of the run's budget (--concurrency), whatever the step batches
        const result = await (slot ? slot.run(() => handle.call(req)) : handle.call(req));
        if (counted) return result; // the attempt was abandoned; its late answer is not used
        counted = true;
        record({
          model: result.model || label, promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens,
          estimated: result.usage.estimated, cached: result.cached, latencyMs: result.latencyMs, costUsd: result.costUsd,
        });
        return result;
      } catch (error) {
        failed(error);
        throw error;
      } finally {
        req.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** Adds one model call to the step's usage (and the item's) and emits its `model-call` event. */
export function recordModelCall(state: RunState, at: { stepId: string; item?: number; usages: Usage[] }, rec: ModelCallRecord): void {
  const failed = rec.code !== undefined || rec.error !== undefined;
  for (const u of at.usages) {
    u.calls += 1;
    if (failed) continue;
    u.promptTokens += rec.promptTokens;
    u.completionTokens += rec.completionTokens;
    u.estimated ||= rec.estimated;
    u.cachedCalls += rec.cached ? 1 : 0;
    u.costUsd += rec.costUsd ?? 0;
  }
  if (state.emit.enabled) state.emit.emit({ type: 'model-call', step: at.stepId, item: at.item, ...rec });
}
