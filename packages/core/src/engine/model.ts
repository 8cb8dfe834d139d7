import { toLoomError } from '../errors.js';
import type { ModelCallRequest, ModelHandle } from '../providers/types.js';
import type { Usage } from './events.js';
import type { RunState } from './state.js';

/**
 * The step's view of its model: every call emits a `model-call` event and adds its tokens,
 * cost and cache hits to the step's usage (and the foreach item's). Calls default to the
 * attempt's signal, so a timeout or cancellation stops the HTTP request too.
 */
export function wrapModel(
  handle: ModelHandle,
  state: RunState,
  call: { stepId: string; item?: number; signal: AbortSignal; usages: Usage[] },
): ModelHandle {
  const { stepId, item, signal, usages } = call;
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
      const req: ModelCallRequest = { ...request, signal: request.signal ?? signal, cache: request.cache ?? state.options.cache };
      // A timed-out or cancelled attempt is over when its signal aborts, before the HTTP call
      // unwinds: count the failed call then, or the last attempt would miss the run ledger.
      let counted = false;
      const failed = (error: unknown) => {
        if (counted) return;
        counted = true;
        for (const u of usages) u.calls += 1;
        if (state.emit.enabled) {
          const e = toLoomError(error);
          state.emit.emit({
            type: 'model-call', step: stepId, item, model: label, promptTokens: 0, completionTokens: 0,
            estimated: true, cached: false, latencyMs: Math.round(performance.now() - t0), error: e.message, code: e.code,
          });
        }
      };
      const onAbort = () => failed(req.signal!.reason);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await handle.call(req);
        if (counted) return result; // the attempt was abandoned; its late answer is not used
        counted = true;
        for (const u of usages) {
          u.promptTokens += result.usage.promptTokens;
          u.completionTokens += result.usage.completionTokens;
          u.estimated ||= result.usage.estimated;
          u.calls += 1;
          u.cachedCalls += result.cached ? 1 : 0;
          u.costUsd += result.costUsd ?? 0;
        }
        if (state.emit.enabled) {
          state.emit.emit({
            type: 'model-call', step: stepId, item, model: result.model || label,
            promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens,
            estimated: result.usage.estimated, cached: result.cached, latencyMs: result.latencyMs, costUsd: result.costUsd,
          });
        }
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
