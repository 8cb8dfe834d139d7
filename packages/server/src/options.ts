import { resolve } from 'node:path';
import { LoomError } from '@promptloom/core';

/** Everything `loom serve` / `startServer` can be told. Defaults live in `DEFAULTS`, nowhere else. */
export interface ServeOptions {
  /** store directory (resolved by the caller: --store, LOOM_STORE, ./.loom) */
  store: string;
  host: string;
  /** 0 picks a free port */
  port: number;
  /** PROVIDER:NAME for generated answers and follow-up rewriting; none = extractive answers */
  model?: string;
  /** a folder of project pipelines, served beside the recipes (first in the lookup) */
  pipelinesDir?: string;
  /** bearer keys; empty = anonymous (loopback only unless allowAnonymous) */
  apiKeys: string[];
  allowAnonymous: boolean;
  /** origins allowed by CORS; empty = CORS off */
  corsOrigins: string[];
  bodyLimitBytes: number;
  maxQuestionChars: number;
  maxMessages: number;
  /** requests per minute per key (per client address when anonymous); 0 = no limit */
  rateLimitPerMinute: number;
  /** runs (answers, pipeline runs) in flight at once, and how many may wait for a slot */
  maxRuns: number;
  maxQueue: number;
  /** slow clients: all headers within this, the whole request within requestTimeoutMs */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** what the server runs pipelines with (model keys, OPENAI_BASE_URL, LOOM_*) */
  env: Record<string, string | undefined>;
  /** working directory for ./recipes lookup */
  cwd: string;
  /** one line per problem worth an operator's attention (never a stack or a key) */
  log: (line: string) => void;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  bodyLimitBytes: 1024 * 1024,
  maxQuestionChars: 4000,
  maxMessages: 100,
  rateLimitPerMinute: 120,
  maxRuns: 16,
  maxQueue: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
} as const;

/** The most a body limit may be raised to: a chat request is text, not uploads. */
export const MAX_BODY_LIMIT = 10 * 1024 * 1024;

export function withDefaults(partial: Partial<ServeOptions> & { store: string }): ServeOptions {
  const env = partial.env ?? process.env;
  const keysFromEnv = (env.LOOM_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const options: ServeOptions = {
    ...DEFAULTS,
    apiKeys: [],
    allowAnonymous: false,
    corsOrigins: [],
    cwd: process.cwd(),
    log: (line) => process.stderr.write(`${line}\n`),
    ...definedOnly(partial),
    env,
    store: partial.store,
  };
  options.store = resolve(options.cwd, partial.store);
  options.apiKeys = [...new Set([...options.apiKeys, ...keysFromEnv])];
  checkOptions(options);
  return options;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function checkOptions(o: ServeOptions): void {
  if (o.apiKeys.length === 0 && !isLoopback(o.host) && !o.allowAnonymous) {
    throw new LoomError('USAGE', `refusing to serve ${o.host} without API keys: anyone who can reach it could use it`, {
      hint: 'set keys with --api-key KEY (or LOOM_API_KEYS=k1,k2), bind --host 127.0.0.1, or pass --allow-anonymous on a trusted network',
    });
  }
  if (o.apiKeys.some((k) => k.length < 16)) {
    throw new LoomError('USAGE', 'an API key is shorter than 16 characters', { hint: 'use long random keys, e.g. `openssl rand -hex 24`' });
  }
  const whole = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new LoomError('USAGE', `${name} must be a whole number from ${min} to ${max} (got ${v})`);
  };
  whole('--port', o.port, 0, 65535);
  whole('--body-limit', o.bodyLimitBytes, 1024, MAX_BODY_LIMIT);
  whole('--max-question', o.maxQuestionChars, 10, 1_000_000);
  whole('--rate-limit', o.rateLimitPerMinute, 0, 1_000_000);
  whole('--max-runs', o.maxRuns, 1, 10_000);
  whole('--queue', o.maxQueue, 0, 100_000);
}
