// Shared helpers for the engine's tests: pipelines built in code, step kinds that sleep,
// fail or call a model, and a fake ModelHandle. Not part of the build (outside src/).
import { z } from 'zod';
import { LoomError } from '../src/errors.js';
import { defineStep } from '../src/steps/registry.js';
import type { LoadedPipeline, StepSpec, InputSpec } from '../src/spec/types.js';
import type { ModelCallRequest, ModelHandle } from '../src/providers/types.js';
import type { RunEvent } from '../src/engine/types.js';

export type StepInit = Partial<StepSpec> & { id: string; kind: string };

export function pipelineOf(
  steps: StepInit[],
  outputs: Record<string, unknown> = {},
  inputs: Record<string, InputSpec> = {},
  extra: Partial<LoadedPipeline> = {},
): LoadedPipeline {
  return {
    spec: { version: 1, name: 'test', inputs, models: {}, steps: steps.map((s) => ({ params: {}, ...s })), outputs, tests: [] },
    dir: process.cwd(),
    source: '',
    warnings: [],
    ...extra,
  };
}

/** In-flight bookkeeping of the t_sleep kind, reset per test. */
export const tracker = {
  inFlight: 0,
  maxInFlight: 0,
  log: [] as { id: string; event: 'start' | 'end'; at: number; value?: unknown }[],
  reset() {
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.log = [];
  },
};

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    }, { once: true });
  });
}

defineStep({
  kind: 't_sleep',
  description: 'waits ms, then outputs value',
  params: z.object({ ms: z.number(), value: z.unknown().optional() }),
  outputs: ['value'],
  callsModel: false,
  async run(p, ctx) {
    tracker.inFlight++;
    tracker.maxInFlight = Math.max(tracker.maxInFlight, tracker.inFlight);
    tracker.log.push({ id: ctx.stepId, event: 'start', at: performance.now(), value: p.value });
    try {
      await abortable(p.ms, ctx.signal);
    } finally {
      tracker.inFlight--;
      tracker.log.push({ id: ctx.stepId, event: 'end', at: performance.now(), value: p.value });
    }
    return { value: p.value };
  },
});

defineStep({
  kind: 't_echo',
  description: 'outputs its value',
  params: z.object({ value: z.unknown() }),
  outputs: ['value'],
  callsModel: false,
  async run(p) {
    return { value: p.value };
  },
});

const flakyCounts = new Map<string, number>();
defineStep({
  kind: 't_flaky',
  description: 'fails the first `failures` calls per key',
  params: z.object({ key: z.string(), failures: z.number(), retry_after_ms: z.number().optional(), retryable: z.boolean().default(true), plain: z.boolean().default(false) }),
  outputs: ['calls'],
  callsModel: false,
  async run(p) {
    const n = (flakyCounts.get(p.key) ?? 0) + 1;
    flakyCounts.set(p.key, n);
    if (n <= p.failures) {
      if (p.plain) throw new Error(`plain failure ${n}`);
      throw new LoomError('PROVIDER_RATE_LIMIT', `rate limited (call ${n})`, { retryable: p.retryable, retryAfterMs: p.retry_after_ms });
    }
    return { calls: n };
  },
});

defineStep({
  kind: 't_model',
  description: 'asks the model',
  params: z.object({ prompt: z.string() }),
  outputs: ['text'],
  callsModel: true,
  async run(p, ctx) {
    if (!ctx.model) return { text: `offline: ${p.prompt}` };
    const r = await ctx.model.call({ messages: [{ role: 'user', content: p.prompt }], onToken: ctx.onToken, signal: ctx.signal });
    return { text: r.text };
  },
});

defineStep({
  kind: 't_store',
  description: 'opens a store',
  params: z.object({ dir: z.string().optional() }),
  outputs: ['store'],
  callsModel: false,
  async run(p, ctx) {
    ctx.warn('opening a store');
    return { store: await ctx.openStore(p.dir) };
  },
});

export interface FakeModelOptions {
  reply?: (req: ModelCallRequest, n: number) => string | Promise<string>;
  fail?: (n: number) => unknown;
  delayMs?: number;
}

/** A ModelHandle that answers locally: for unit tests of the engine's wrapping and streaming. */
export function fakeModel(options: FakeModelOptions = {}): ModelHandle & { calls: ModelCallRequest[] } {
  const calls: ModelCallRequest[] = [];
  return {
    name: 'default',
    provider: 'fake',
    model: 'm1',
    config: { provider: 'fake', model: 'm1' },
    calls,
    countTokens: (t: string) => Math.ceil(t.length / 4),
    async call(req: ModelCallRequest) {
      calls.push(req);
      const n = calls.length;
      if (options.delayMs) await abortable(options.delayMs, req.signal ?? new AbortController().signal);
      const failure = options.fail?.(n);
      if (failure) throw failure;
      const text = options.reply ? await options.reply(req, n) : `reply ${n}`;
      if (req.onToken) for (const piece of text.split(/(?<= )/)) req.onToken(piece);
      return { text, usage: { promptTokens: 7, completionTokens: 3, estimated: false }, cached: false, latencyMs: 1, model: 'fake:m1', costUsd: 0.001 };
    },
  };
}

export function collect(): { events: RunEvent[]; listener: (e: RunEvent) => void } {
  const events: RunEvent[] = [];
  return { events, listener: (e) => events.push(e) };
}
