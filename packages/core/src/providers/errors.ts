import { LoomError, isLoomError, type ErrorCode } from '../errors.js';
import { redact } from './redact.js';

/** Where a failed call went, for the message: the model label and the server. */
export interface CallTarget {
  label: string; // provider:model
  baseUrl?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Turns whatever the client threw (openai SDK APIError, undici TypeError, SyntaxError, an abort)
 * into a LoomError with a PROVIDER_* code, `retryable` and `retryAfterMs`. The message names the
 * model and carries the server's own message, redacted.
 */
export function mapProviderError(error: unknown, target: CallTarget, signal?: AbortSignal): LoomError {
  if (isLoomError(error)) return error;
  const at = target.baseUrl ? ` at ${target.baseUrl}` : '';
  const say = (code: ErrorCode, text: string, extra: { retryable: boolean; retryAfterMs?: number; hint?: string }) =>
    new LoomError(code, redact(`model ${target.label}${at}: ${text}`, target.env), { ...extra, model: target.label, cause: scrub(error, target.env) });

  if (signal?.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    if (reason?.name === 'TimeoutError') return say('RUN_TIMEOUT', 'the call timed out', { retryable: true });
    return say('RUN_ABORTED', 'the call was cancelled', { retryable: false });
  }
  const e = (error ?? {}) as Record<string, any>;
  const status: number | undefined = typeof e.status === 'number' ? e.status : undefined;
  const serverMessage = shorten(String(e.error?.message ?? firstLine(e.message) ?? String(error)));
  if (status !== undefined) return fromStatus(status, serverMessage, retryAfterOf(e.headers), say);

  const name = String(e.constructor?.name ?? e.name ?? '');
  if (e.name === 'TimeoutError' || name === 'APIConnectionTimeoutError') {
    return say('PROVIDER_UNAVAILABLE', 'the server did not answer in time', { retryable: true });
  }
  if (e.name === 'AbortError') return say('RUN_ABORTED', 'the call was cancelled', { retryable: false });
  if (error instanceof SyntaxError) {
    return say('PROVIDER_BAD_RESPONSE', `the server sent a response that is not valid JSON (${e.message})`, { retryable: true });
  }
  if (responseCut(error)) {
    // undici's "terminated": the server answered and the body broke off mid-way. It was running.
    return say('PROVIDER_BAD_RESPONSE', `the response was cut off mid-way (${causeCode(error) ?? 'terminated'})`, { retryable: true });
  }
  const code = causeCode(error);
  if (name === 'APIConnectionError' || code) {
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ECONNRESET' ? 'connection reset' : code === 'ENOTFOUND' ? 'host not found' : `connection failed${code ? ` (${code})` : ''}`;
    return say('PROVIDER_UNAVAILABLE', why, { retryable: true, hint: 'check that the model server is running and that base_url (or OPENAI_BASE_URL) points at it, ending in /v1' });
  }
  if (error instanceof TypeError) {
    // the client choked on a body of the wrong shape (no choices, no message)
    return say('PROVIDER_BAD_RESPONSE', `the server's response is not a chat completion (${serverMessage})`, { retryable: true });
  }
  return say('PROVIDER_BAD_RESPONSE', serverMessage, { retryable: true });
}

const MAX_SERVER_MESSAGE = 300;

/** A proxy's HTML error page or a huge body becomes its title, or its first 300 characters. */
function shorten(message: string): string {
  if (/<(html|!doctype|body)\b/i.test(message)) {
    const title = /<(title|h1)[^>]*>([^<]*)</i.exec(message)?.[2]?.trim();
    if (title) return `${title} (an HTML page)`;
  }
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SERVER_MESSAGE ? `${flat.slice(0, MAX_SERVER_MESSAGE)}…` : flat;
}

type Say = (code: ErrorCode, text: string, extra: { retryable: boolean; retryAfterMs?: number; hint?: string }) => LoomError;

function fromStatus(status: number, message: string, retryAfterMs: number | undefined, say: Say): LoomError {
  const text = `${status} ${message}`;
  if (status === 401 || status === 403) {
    return say('PROVIDER_AUTH', text, { retryable: false, hint: 'set the API key in the variable named by api_key_env (default OPENAI_API_KEY)' });
  }
  if (status === 429) return say('PROVIDER_RATE_LIMIT', text, { retryable: true, retryAfterMs });
  if (status >= 500 || status === 408 || status === 409) return say('PROVIDER_SERVER_ERROR', text, { retryable: true, retryAfterMs });
  if (status === 404) {
    return say('PROVIDER_BAD_REQUEST', text, { retryable: false, hint: 'check the model name and that base_url ends in /v1' });
  }
  return say('PROVIDER_BAD_REQUEST', text, { retryable: false });
}

/** Retry-After as milliseconds: `retry-after-ms`, seconds, or an HTTP date. */
export function retryAfterOf(headers: unknown): number | undefined {
  const get = (name: string): string | null | undefined => {
    if (!headers) return undefined;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
    const v = (headers as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  return parseRetryAfter(get('retry-after') ?? undefined);
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function causeCode(error: unknown): string | undefined {
  let cur: any = error;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (typeof cur.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(cur.code)) return cur.code;
    cur = cur.cause;
  }
  return undefined;
}

/** undici ends a body whose socket died after the response started with TypeError('terminated'). */
function responseCut(error: unknown): boolean {
  let cur: any = error;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur.message === 'terminated') return true;
    cur = cur.cause;
  }
  return false;
}

function firstLine(text: unknown): string | undefined {
  return typeof text === 'string' ? text.split('\n')[0] : undefined;
}

/** The original error as a cause, without headers or request options that may hold the key. */
function scrub(error: unknown, env?: Record<string, string | undefined>): Error {
  const e = error as { name?: string; message?: string; status?: number } | undefined;
  const out = new Error(redact(String(e?.message ?? error), env));
  out.name = String(e?.name ?? 'Error');
  return out;
}
