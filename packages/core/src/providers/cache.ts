import { createHash } from 'node:crypto';
import type { ChatMessage, TokenUsage } from './types.js';
import { openRunsDb } from './runs-db.js';

/** Everything that decides an answer. The API key is not part of it: it changes who pays, not what comes back. */
export interface CacheIdentity {
  provider: string;
  model: string;
  baseUrl?: string;
  temperature?: number;
  maxTokens?: number;
  json?: boolean;
  /** the JSON Schema of a structured-outputs request */
  schema?: Record<string, unknown>;
  messages: ChatMessage[];
  /** other sampling settings (top_p, seed, stop, …) */
  extra?: Record<string, unknown>;
}

export interface CachedAnswer { text: string; usage: TokenUsage }

/** sha256 over a canonical JSON of the identity (keys sorted, so property order never splits the cache). */
export function cacheKey(identity: CacheIdentity): string {
  return createHash('sha256').update(canonical({ v: 1, ...identity })).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A content-addressed call cache in `<storeDir>/runs.sqlite`. */
export interface CallCache {
  get(key: string): CachedAnswer | undefined;
  set(key: string, model: string, answer: CachedAnswer): void;
}

export function openCallCache(storeDir: string, options: { create?: boolean } = {}): CallCache | undefined {
  const db = openRunsDb(storeDir, options);
  if (!db) return undefined;
  const select = db.prepare('SELECT text, prompt_tokens, completion_tokens, estimated FROM call_cache WHERE key = ?');
  const hit = db.prepare('UPDATE call_cache SET hits = hits + 1 WHERE key = ?');
  const insert = db.prepare(
    'INSERT OR REPLACE INTO call_cache (key, model, text, prompt_tokens, completion_tokens, estimated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    get(key) {
      const row = select.get(key) as { text: string; prompt_tokens: number; completion_tokens: number; estimated: number } | undefined;
      if (!row) return undefined;
      hit.run(key);
      return { text: row.text, usage: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, estimated: row.estimated === 1 } };
    },
    set(key, model, answer) {
      insert.run(key, model, answer.text, answer.usage.promptTokens, answer.usage.completionTokens, answer.usage.estimated ? 1 : 0, new Date().toISOString());
    },
  };
}

/** The cache is on for deterministic calls only: temperature 0, and not switched off for the run or the call. */
export function cacheApplies(temperature: number | undefined, runCache: boolean | undefined, callCache: boolean | undefined): boolean {
  return temperature === 0 && runCache !== false && callCache !== false;
}
