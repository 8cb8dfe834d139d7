import type { RunEvent, RunEventListener, StepRecord } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EventBody = DistributiveOmit<RunEvent, 'runId' | 'at'>;

export interface Emitter {
  /** false when nobody listens: callers skip building events at all */
  readonly enabled: boolean;
  emit(event: EventBody): void;
}

/**
 * Stamps events with the run id and time and hands them to every listener, up to run-end.
 * A listener that throws is reported once as a process warning and never fails the run.
 */
export function createEmitter(runId: string, listeners: readonly RunEventListener[] = []): Emitter {
  const active = [...listeners];
  const broken = new Set<RunEventListener>();
  let ended = false;
  return {
    enabled: active.length > 0,
    emit(body) {
      // a step ignoring its abort signal may still finish a call after the run ended; the log ends at run-end
      if (active.length === 0 || ended) return;
      if (body.type === 'run-end') ended = true;
      const event = { ...body, runId, at: new Date().toISOString() } as RunEvent;
      for (const listener of active) {
        try {
          listener(event);
        } catch (error) {
          if (!broken.has(listener)) {
            broken.add(listener);
            process.emitWarning(`a run event listener threw: ${(error as Error)?.message ?? String(error)}`);
          }
        }
      }
    },
  };
}

export type Usage = StepRecord['usage'];

export function emptyUsage(): Usage {
  return { promptTokens: 0, completionTokens: 0, estimated: false, calls: 0, cachedCalls: 0, costUsd: 0 };
}

/** Adds `b` into `a` (mutates `a`). */
export function addUsage(a: Usage, b: Usage): Usage {
  a.promptTokens += b.promptTokens;
  a.completionTokens += b.completionTokens;
  a.estimated ||= b.estimated;
  a.calls += b.calls;
  a.cachedCalls += b.cachedCalls;
  a.costUsd += b.costUsd;
  return a;
}
