import { isLoomError, type ErrorCode } from '@promptloom/core';

/**
 * An error answered as OpenAI answers errors: `{error: {message, type, param, code}}`, so every
 * OpenAI client (and LangChain's) shows the message instead of a parse failure.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { param?: string; retryAfterS?: number; type?: string } = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** What HTTP status a LoomError becomes: the caller's mistakes are 4xx, the model server's 502/503/504. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INPUT_INVALID: 400, USAGE: 400, SPEC_INVALID: 400, CONFIG_INVALID: 500,
  RUN_ABORTED: 499, RUN_TIMEOUT: 504,
  PROVIDER_UNAVAILABLE: 502, PROVIDER_SERVER_ERROR: 502, PROVIDER_BAD_RESPONSE: 502, PROVIDER_AUTH: 502,
  PROVIDER_BAD_REQUEST: 502, PROVIDER_RATE_LIMIT: 503, PROVIDER_NOT_CONFIGURED: 400,
  STORE_NOT_FOUND: 503, STORE_LOCKED: 503, STORE_EMBEDDER_MISMATCH: 500, STORE_CORRUPT: 500, STORE_IO: 500,
};

/** Any thrown value as an HttpError; unknown errors say nothing about their insides. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isLoomError(error)) {
    // a failed step wraps the provider's error: answer with the cause's code
    const code = error.code === 'RUN_STEP_FAILED' && isLoomError(error.cause) ? error.cause.code : error.code;
    const status = STATUS_BY_CODE[code] ?? 500;
    const retryAfterS = code === 'PROVIDER_RATE_LIMIT' ? Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)) : undefined;
    const message = status >= 500 && !code.startsWith('PROVIDER_') && !code.startsWith('STORE_') ? 'internal error' : error.message;
    return new HttpError(status, code.toLowerCase(), message, { retryAfterS });
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify.statusCode === 'number' && fastify.statusCode < 500 && typeof fastify.code === 'string') {
    return new HttpError(fastify.statusCode, fastifyCode(fastify.code), fastifyMessage(fastify.code, fastify.message ?? ''));
  }
  return new HttpError(500, 'internal_error', 'internal error');
}

function fastifyCode(code: string): string {
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'body_too_large';
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported_media_type';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'invalid_json';
  return code.replace(/^FST_ERR_/, '').toLowerCase();
}

function fastifyMessage(code: string, message: string): string {
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return `${message}; send Content-Type: application/json`;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'request body too large (see --body-limit)';
  return message;
}

export function errorBody(error: HttpError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.options.type ?? typeFor(error.status), param: error.options.param ?? null, code: error.code } };
}
