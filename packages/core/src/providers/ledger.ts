import type BetterSqlite3 from 'better-sqlite3';
import { LoomError } from '../errors.js';
import type { RunEvent, RunEventListener } from '../engine/types.js';
import { openRunsDb } from './runs-db.js';
import { redact } from './redact.js';

export { redact } from './redact.js';

/** Token totals count only calls that reached a server; a cache hit costs nothing and uses no tokens. */
export interface LedgerUsage {
  promptTokens: number;
  completionTokens: number;
  /** true when any call's usage was our estimate rather than the provider's */
  estimated: boolean;
  /** attempts, including failed ones and cache hits */
  calls: number;
  cachedCalls: number;
  failedCalls: number;
  costUsd: number;
  /** false when some call's model has no known price (its cost is not in costUsd) */
  costKnown: boolean;
}

export interface RunSummary {
  id: string;
  pipeline: string;
  status: string; // 'running' until run-end, then ok | failed | cancelled
  startedAt: string;
  durationMs?: number;
  usage: LedgerUsage;
  notRun: string[];
  error?: string;
}

export interface LedgerCall {
  step: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
  latencyMs: number;
  costUsd?: number;
  cached: boolean;
  at: string;
  /** set on a failed attempt */
  errorCode?: string;
  error?: string;
}

export interface LedgerStep extends LedgerUsage {
  step: string;
  kind?: string;
  status: string;
  durationMs?: number;
  /** foreach items finished */
  items: number;
  models: string[];
  latencyMs: number;
  warnings: number;
  errorCode?: string;
  error?: string;
}

export interface RunDetail extends RunSummary {
  steps: LedgerStep[];
  calls: LedgerCall[];
  /** queue workers that made the run's calls, busiest first (empty for a run in process) */
  workers: { worker: string; calls: number }[];
}

export interface Ledger {
  /** add to RunOptions.listeners */
  listener: RunEventListener;
  storeDir: string;
  /** the last write that failed, if any (a ledger problem never fails the run) */
  readonly lastError: unknown;
}

/**
 * Records runs and their model calls into `<storeDir>/runs.sqlite` from the engine's events.
 * Every string is redacted first (API keys, Bearer tokens, secret env values of `env`).
 */
export function createLedger(storeDir: string, options: { env?: Record<string, string | undefined> } = {}): Ledger {
  const db = openRunsDb(storeDir)!;
  const env = options.env ?? process.env;
  const clean = (s: string) => redact(s, env);
  const write = writers(db);
  let lastError: unknown;
  const listener: RunEventListener = (event) => {
    try {
      apply(write, event, clean);
    } catch (error) {
      lastError = error;
    }
  };
  return { listener, storeDir, get lastError() { return lastError; } };
}

function writers(db: BetterSqlite3.Database) {
  return {
    start: db.prepare("INSERT OR REPLACE INTO runs (id, pipeline, status, started_at) VALUES (?, ?, 'running', ?)"),
    call: db.prepare(`INSERT INTO model_calls (run_id, step, model, prompt_tokens, completion_tokens, estimated, latency_ms, cost_usd, cached, at, error_code, error, worker)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    step: db.prepare(`INSERT INTO run_steps (run_id, step, kind, status, duration_ms) VALUES (@run, @step, @kind, @status, @duration)
      ON CONFLICT(run_id, step) DO UPDATE SET kind = coalesce(@kind, kind), status = @status, duration_ms = coalesce(@duration, duration_ms)`),
    item: db.prepare(`INSERT INTO run_steps (run_id, step, kind, status, items) VALUES (?, ?, ?, 'running', 1)
      ON CONFLICT(run_id, step) DO UPDATE SET items = items + 1`),
    error: db.prepare(`INSERT INTO run_steps (run_id, step, status, error_code, error) VALUES (?, ?, 'failed', ?, ?)
      ON CONFLICT(run_id, step) DO UPDATE SET status = 'failed', error_code = excluded.error_code, error = excluded.error`),
    warn: db.prepare(`INSERT INTO run_steps (run_id, step, status, warnings) VALUES (?, ?, 'running', 1)
      ON CONFLICT(run_id, step) DO UPDATE SET warnings = warnings + 1`),
    end: db.prepare(`UPDATE runs SET status = ?, duration_ms = ?, not_run = ?,
      prompt_tokens = (SELECT coalesce(sum(prompt_tokens), 0) FROM model_calls WHERE run_id = runs.id AND cached = 0),
      completion_tokens = (SELECT coalesce(sum(completion_tokens), 0) FROM model_calls WHERE run_id = runs.id AND cached = 0),
      calls = (SELECT count(*) FROM model_calls WHERE run_id = runs.id),
      cached_calls = (SELECT count(*) FROM model_calls WHERE run_id = runs.id AND cached = 1),
      failed_calls = (SELECT count(*) FROM model_calls WHERE run_id = runs.id AND error_code IS NOT NULL),
      estimated = (SELECT coalesce(max(estimated), 0) FROM model_calls WHERE run_id = runs.id AND cached = 0),
      cost_usd = (SELECT coalesce(sum(cost_usd), 0) FROM model_calls WHERE run_id = runs.id),
      cost_known = (SELECT count(*) = 0 FROM model_calls WHERE run_id = runs.id AND cost_usd IS NULL),
      error = (SELECT error FROM run_steps WHERE run_id = runs.id AND status = 'failed' LIMIT 1)
      WHERE id = ?`),
  };
}

function apply(w: ReturnType<typeof writers>, e: RunEvent, clean: (s: string) => string): void {
  switch (e.type) {
    case 'run-start':
      w.start.run(e.runId, clean(e.pipeline), e.at);
      break;
    case 'model-call': {
      // a failed attempt is recorded too (it took time); it cost nothing we can know of
      const failed = e.error !== undefined || e.code !== undefined;
      w.call.run(e.runId, e.step, clean(e.model), e.promptTokens, e.completionTokens, e.estimated && !failed ? 1 : 0,
        Math.round(e.latencyMs), failed ? 0 : (e.costUsd ?? null), e.cached ? 1 : 0, e.at,
        failed ? (e.code ?? 'INTERNAL') : null, e.error === undefined ? null : clean(e.error), e.worker ?? null);
      break;
    }
    case 'step-end':
      if (e.item !== undefined) w.item.run(e.runId, e.step, e.kind);
      else w.step.run({ run: e.runId, step: e.step, kind: e.kind, status: 'ok', duration: Math.round(e.durationMs) });
      break;
    case 'step-skip':
      w.step.run({ run: e.runId, step: e.step, kind: null, status: 'skipped', duration: null });
      break;
    case 'step-error':
      w.error.run(e.runId, e.step, e.code, clean(e.message));
      break;
    case 'step-warning':
      w.warn.run(e.runId, e.step);
      break;
    case 'run-end':
      w.end.run(e.status, Math.round(e.durationMs), JSON.stringify(e.notRun), e.runId);
      break;
    default:
      break;
  }
}

/** The latest runs, newest first ([] when the store has no ledger yet). */
export function listRuns(storeDir: string, options: { limit?: number } = {}): RunSummary[] {
  const db = openRunsDb(storeDir, { create: false });
  if (!db) return [];
  const rows = db.prepare('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(options.limit ?? 20) as RunRow[];
  return rows.map(summaryOf);
}

/** One run with its steps and calls, by id or a unique prefix of it; undefined when not found. */
export function getRun(storeDir: string, id: string): RunDetail | undefined {
  const db = openRunsDb(storeDir, { create: false });
  if (!db) return undefined;
  const matches = db.prepare("SELECT * FROM runs WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY started_at DESC LIMIT 3")
    .all(id, `${id.replace(/[%_\\]/g, (c) => `\\${c}`)}%`) as RunRow[];
  const exact = matches.find((r) => r.id === id);
  if (!exact && matches.length > 1) {
    throw new LoomError('USAGE', `run id "${id}" is ambiguous: ${matches.map((r) => r.id).join(', ')}, …`, { hint: 'give more characters of the id' });
  }
  const row = exact ?? matches[0];
  if (!row) return undefined;
  const calls = (db.prepare('SELECT * FROM model_calls WHERE run_id = ? ORDER BY id').all(row.id) as CallRow[]).map(callOf);
  const stepRows = db.prepare('SELECT * FROM run_steps WHERE run_id = ? ORDER BY rowid').all(row.id) as StepRow[];
  const workers = db.prepare(`SELECT worker, count(*) AS calls FROM model_calls WHERE run_id = ? AND worker IS NOT NULL
    GROUP BY worker ORDER BY calls DESC, worker`).all(row.id) as { worker: string; calls: number }[];
  return { ...summaryOf(row), steps: stepsOf(stepRows, calls), calls, workers };
}

interface RunRow {
  id: string; pipeline: string; status: string; started_at: string; duration_ms: number | null; prompt_tokens: number;
  completion_tokens: number; calls: number; cached_calls: number; failed_calls: number; estimated: number; cost_usd: number; cost_known: number;
  not_run: string | null; error: string | null;
}
interface CallRow {
  step: string; model: string; prompt_tokens: number; completion_tokens: number; estimated: number;
  latency_ms: number; cost_usd: number | null; cached: number; at: string; error_code: string | null; error: string | null;
}
interface StepRow {
  step: string; kind: string | null; status: string; duration_ms: number | null; items: number;
  error_code: string | null; error: string | null; warnings: number;
}

function summaryOf(r: RunRow): RunSummary {
  return {
    id: r.id, pipeline: r.pipeline, status: r.status, startedAt: r.started_at, durationMs: r.duration_ms ?? undefined,
    usage: {
      promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens, estimated: r.estimated === 1, calls: r.calls,
      cachedCalls: r.cached_calls, failedCalls: r.failed_calls, costUsd: r.cost_usd, costKnown: r.cost_known === 1,
    },
    notRun: r.not_run ? (JSON.parse(r.not_run) as string[]) : [],
    error: r.error ?? undefined,
  };
}

function callOf(r: CallRow): LedgerCall {
  return {
    step: r.step, model: r.model, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens, estimated: r.estimated === 1,
    latencyMs: r.latency_ms, costUsd: r.cost_usd ?? undefined, cached: r.cached === 1, at: r.at,
    ...(r.error_code ? { errorCode: r.error_code } : {}), ...(r.error ? { error: r.error } : {}),
  };
}

function stepsOf(rows: StepRow[], calls: LedgerCall[]): LedgerStep[] {
  const steps = new Map<string, LedgerStep>();
  const blank = (step: string): LedgerStep => ({
    step, status: 'unknown', items: 0, models: [], latencyMs: 0, warnings: 0,
    promptTokens: 0, completionTokens: 0, estimated: false, calls: 0, cachedCalls: 0, failedCalls: 0, costUsd: 0, costKnown: true,
  });
  for (const r of rows) {
    steps.set(r.step, {
      ...blank(r.step), kind: r.kind ?? undefined, status: r.status, durationMs: r.duration_ms ?? undefined, items: r.items,
      warnings: r.warnings, errorCode: r.error_code ?? undefined, error: r.error ?? undefined,
    });
  }
  for (const c of calls) {
    const s = steps.get(c.step) ?? blank(c.step);
    steps.set(c.step, s);
    if (!s.models.includes(c.model)) s.models.push(c.model);
    s.calls++;
    s.latencyMs += c.latencyMs;
    if (c.errorCode) s.failedCalls++;
    if (c.cached) {
      s.cachedCalls++;
      continue;
    }
    s.promptTokens += c.promptTokens;
    s.completionTokens += c.completionTokens;
    s.estimated ||= c.estimated;
    if (c.costUsd === undefined) s.costKnown = false;
    else s.costUsd += c.costUsd;
  }
  return [...steps.values()];
}
