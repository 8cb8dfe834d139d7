import { isLoomError, type LoomError } from '../errors.js';
import type { StepSpec } from '../spec/types.js';

export interface RetryPolicy {
  /** total attempts, including the first */
  attempts: number;
  baseMs: number;
  /** cap of one backoff delay; a Retry-After longer than this gives up instead of waiting */
  maxMs: number;
}

/**
 * Steps that call a model retry by default: three attempts, 500 ms base. With the 10 s cap
 * on any one wait, a server that always fails is given up on within ~30 s even when it
 * sends Retry-After. Steps that call no model run once unless they ask for `retry:`.
 */
export const MODEL_DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseMs: 500, maxMs: 10_000 };
export const NO_RETRY: RetryPolicy = { attempts: 1, baseMs: 0, maxMs: 0 };
const USER_DEFAULT_MAX_MS = 30_000;

export function retryPolicy(step: StepSpec, callsModel: boolean): RetryPolicy {
  if (step.retry) {
    return {
      attempts: Math.max(1, Math.floor(step.retry.attempts)),
      baseMs: Math.max(0, step.retry.backoff_ms),
      maxMs: step.retry.max_backoff_ms ?? Math.max(USER_DEFAULT_MAX_MS, step.retry.backoff_ms),
    };
  }
  return callsModel ? MODEL_DEFAULT_RETRY : NO_RETRY;
}

/** LoomErrors say whether retrying can help; other throws (a user's step) are assumed transient. */
export function isRetryable(error: unknown): boolean {
  if (isLoomError(error)) return error.retryable;
  return !(error instanceof Error && error.name === 'AbortError');
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason?: string };

/**
 * Exponential backoff with full jitter (a uniform delay in [0, base·2^(n-1)], capped), and
 * never shorter than the server's Retry-After. `attempt` is the 1-based attempt that failed.
 */
export function decideRetry(policy: RetryPolicy, attempt: number, error: unknown, random: () => number = Math.random): RetryDecision {
  if (attempt >= policy.attempts || !isRetryable(error)) return { retry: false };
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  let delayMs = Math.floor(random() * ceiling);
  const retryAfter = isLoomError(error) ? error.retryAfterMs : undefined;
  if (retryAfter !== undefined && retryAfter > 0) {
    if (retryAfter > policy.maxMs) {
      return { retry: false, reason: `the server asked to wait ${Math.ceil(retryAfter / 1000)} s (Retry-After), more than max_backoff_ms ${policy.maxMs}` };
    }
    delayMs = Math.max(delayMs, retryAfter);
  }
  return { retry: true, delayMs };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` under a retry policy, for work outside a step (an embedder's batches): the same
 * decision as the engine's (full jitter, capped, Retry-After, a Retry-After above the cap gives
 * up) and the same abortable sleep. Failures are passed through `toError` first, so retryability
 * and Retry-After come from the LoomError; an abort rejects at once with `toError(reason)`.
 */
export async function retryCall<T>(
  fn: () => Promise<T>, policy: RetryPolicy,
  options: { signal?: AbortSignal; toError: (error: unknown) => LoomError; random?: () => number },
): Promise<T> {
  const { signal, toError } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw toError(signal.reason);
    let error: LoomError;
    try {
      return await fn();
    } catch (raw) {
      error = toError(raw);
    }
    if (signal?.aborted) throw toError(signal.reason);
    const decision = decideRetry(policy, attempt, error, options.random);
    if (!decision.retry) throw error;
    if (signal) await sleep(decision.delayMs, signal).catch((reason: unknown) => { throw toError(reason); });
    else await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
  }
}
