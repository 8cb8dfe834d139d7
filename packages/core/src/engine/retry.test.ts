import { describe, expect, it } from 'vitest';
import { LoomError } from '../errors.js';
import { decideRetry, MODEL_DEFAULT_RETRY, retryCall, retryPolicy, sleep } from './retry.js';

const retryable = (retryAfterMs?: number) => new LoomError('PROVIDER_SERVER_ERROR', '500', { retryable: true, retryAfterMs });

describe('retry policy', () => {
  it('defaults: model steps 3 attempts from 500 ms, other steps 1 attempt', () => {
    expect(retryPolicy({ id: 'a', kind: 'prompt', params: {} }, true)).toEqual(MODEL_DEFAULT_RETRY);
    expect(retryPolicy({ id: 'a', kind: 'retrieve', params: {} }, false).attempts).toBe(1);
    expect(retryPolicy({ id: 'a', kind: 'x', params: {}, retry: { attempts: 5, backoff_ms: 100, max_backoff_ms: 400 } }, false))
      .toEqual({ attempts: 5, baseMs: 100, maxMs: 400 });
  });

  it('uses full jitter under an exponential ceiling capped by max_backoff_ms', () => {
    const policy = { attempts: 10, baseMs: 100, maxMs: 1000 };
    expect(decideRetry(policy, 1, retryable(), () => 0.999)).toEqual({ retry: true, delayMs: 99 });
    expect(decideRetry(policy, 3, retryable(), () => 0.999)).toEqual({ retry: true, delayMs: 399 });
    expect(decideRetry(policy, 8, retryable(), () => 0.999)).toEqual({ retry: true, delayMs: 999 });
    expect(decideRetry(policy, 3, retryable(), () => 0)).toEqual({ retry: true, delayMs: 0 });
  });

  it('waits at least Retry-After, and gives up when it exceeds the cap', () => {
    const policy = { attempts: 3, baseMs: 100, maxMs: 5000 };
    expect(decideRetry(policy, 1, retryable(2000), () => 0.5)).toEqual({ retry: true, delayMs: 2000 });
    const d = decideRetry(policy, 1, retryable(60_000), () => 0.5);
    expect(d.retry).toBe(false);
    expect(d.retry === false && d.reason).toMatch(/Retry-After/);
  });

  it('does not retry non-retryable errors, aborts, or past the last attempt', () => {
    const policy = { attempts: 3, baseMs: 1, maxMs: 10 };
    expect(decideRetry(policy, 1, new LoomError('PROVIDER_AUTH', '401', { retryable: false })).retry).toBe(false);
    expect(decideRetry(policy, 1, Object.assign(new Error('x'), { name: 'AbortError' })).retry).toBe(false);
    expect(decideRetry(policy, 1, new Error('a user step threw')).retry).toBe(true);
    expect(decideRetry(policy, 3, retryable()).retry).toBe(false);
  });

  it('gives up within 30 s on a server that always fails, even with Retry-After', () => {
    let worst = 0;
    for (const retryAfter of [undefined, 1000, 10_000]) {
      let total = 0;
      for (let attempt = 1; ; attempt++) {
        const d = decideRetry(MODEL_DEFAULT_RETRY, attempt, retryable(retryAfter), () => 0.999);
        if (!d.retry) break;
        total += d.delayMs;
      }
      worst = Math.max(worst, total);
    }
    expect(worst).toBeLessThanOrEqual(30_000);
  });

  it('sleep stops early when its signal aborts', async () => {
    // 60 s: only the abort can end the sleep within the test's limit
    const c = new AbortController();
    setTimeout(() => c.abort(new Error('stop')), 20);
    await expect(sleep(60_000, c.signal)).rejects.toThrow('stop');
  });
});

describe('retryCall (the one retry outside steps: embeddings)', () => {
  const toError = (e: unknown) => (e instanceof LoomError ? e : new LoomError('RUN_ABORTED', String(e), { retryable: false }));

  it('retries retryable errors up to the attempts, and not the others', async () => {
    let calls = 0;
    const failing = () => { calls++; return Promise.reject(retryable()); };
    await expect(retryCall(failing, { attempts: 3, baseMs: 1, maxMs: 1 }, { toError })).rejects.toMatchObject({ code: 'PROVIDER_SERVER_ERROR' });
    expect(calls).toBe(3);
    calls = 0;
    const auth = () => { calls++; return Promise.reject(new LoomError('PROVIDER_AUTH', '401', { retryable: false })); };
    await expect(retryCall(auth, { attempts: 3, baseMs: 1, maxMs: 1 }, { toError })).rejects.toMatchObject({ code: 'PROVIDER_AUTH' });
    expect(calls).toBe(1);
  });

  it('gives up at once on a Retry-After above the cap, and rejects a waiting retry when the signal aborts', async () => {
    let calls = 0;
    const slow = () => { calls++; return Promise.reject(retryable(60_000)); };
    await expect(retryCall(slow, { attempts: 5, baseMs: 1, maxMs: 1000 }, { toError })).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(calls).toBe(1);

    calls = 0;
    const controller = new AbortController();
    const waiting = retryCall(() => { calls++; queueMicrotask(() => controller.abort('stop')); return Promise.reject(retryable()); },
      { attempts: 5, baseMs: 3_600_000, maxMs: 3_600_000 }, { signal: controller.signal, toError, random: () => 0.999 });
    await expect(waiting).rejects.toMatchObject({ code: 'RUN_ABORTED', message: 'stop' });
    expect(calls).toBe(1);
  });
});
