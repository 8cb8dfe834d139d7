import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunEvent } from '@promptloom/core';

/** The server's Prometheus metrics, on a registry of its own (several servers in one process stay apart). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'loom_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'loom_http_request_duration_seconds', help: 'time to the end of the response, by route', labelNames: ['route'], registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  readonly modelCalls = new Counter({ name: 'loom_model_calls_total', help: 'model calls by model and outcome', labelNames: ['model', 'outcome'], registers: [this.registry] });
  readonly tokens = new Counter({ name: 'loom_model_tokens_total', help: 'tokens by model and kind (prompt, completion)', labelNames: ['model', 'kind'], registers: [this.registry] });
  readonly cost = new Counter({ name: 'loom_model_cost_usd_total', help: 'estimated model cost in US dollars', labelNames: ['model'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'loom_errors_total', help: 'errors answered, by code', labelNames: ['code'], registers: [this.registry] });
  readonly runs = new Counter({ name: 'loom_runs_total', help: 'pipeline runs by pipeline and status', labelNames: ['pipeline', 'status'], registers: [this.registry] });

  constructor(gauges: { running: () => number; queued: () => number }) {
    new Gauge({ name: 'loom_runs_in_flight', help: 'runs holding a slot', registers: [this.registry], collect() { this.set(gauges.running()); } });
    new Gauge({ name: 'loom_runs_queued', help: 'runs waiting for a slot', registers: [this.registry], collect() { this.set(gauges.queued()); } });
    collectDefaultMetrics({ register: this.registry });
  }

  /** A run listener: model calls, tokens and cost as they happen. */
  readonly onRunEvent = (event: RunEvent): void => {
    if (event.type === 'model-call') {
      this.modelCalls.inc({ model: event.model, outcome: event.error ? 'error' : event.cached ? 'cached' : 'ok' });
      this.tokens.inc({ model: event.model, kind: 'prompt' }, event.promptTokens);
      this.tokens.inc({ model: event.model, kind: 'completion' }, event.completionTokens);
      if (event.costUsd) this.cost.inc({ model: event.model }, event.costUsd);
    }
  };
}
