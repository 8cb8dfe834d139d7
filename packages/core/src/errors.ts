/**
 * One error model for all of promptloom. Branch and test on `code`, never on message text.
 * Codes are grouped by prefix; the prefix decides the CLI exit code (see `exitCodeFor`).
 * The code -> meaning -> fix table lives in docs/errors.md.
 */
export type ErrorCode =
  // the pipeline file or its inputs (user mistakes: exit 1)
  | 'SPEC_INVALID' // one or more diagnostics; see `diagnostics`
  | 'SPEC_NOT_FOUND'
  | 'SPEC_TOO_LARGE'
  | 'INPUT_INVALID'
  | 'USAGE' // bad CLI usage or options
  | 'CONFIG_INVALID'
  // running a pipeline (exit 2)
  | 'RUN_STEP_FAILED'
  | 'RUN_TIMEOUT'
  | 'RUN_ABORTED'
  | 'RUN_OUTPUT_INVALID'
  // the model server (exit 2)
  | 'PROVIDER_UNAVAILABLE' // connection refused/reset, DNS
  | 'PROVIDER_RATE_LIMIT' // 429
  | 'PROVIDER_SERVER_ERROR' // 5xx
  | 'PROVIDER_BAD_RESPONSE' // truncated JSON, stream cut mid-way, schema mismatch
  | 'PROVIDER_AUTH' // 401/403
  | 'PROVIDER_BAD_REQUEST' // 400/404/422: the server refused the request (unknown model, context too long); not retryable
  | 'PROVIDER_NOT_CONFIGURED' // a step needs a model and none is configured (exit 1)
  // the document store
  | 'STORE_NOT_FOUND' // exit 1
  | 'STORE_LOCKED' // exit 1
  | 'STORE_EMBEDDER_MISMATCH' // exit 1
  | 'STORE_CORRUPT' // exit 2
  | 'STORE_IO' // exit 2 (read-only, disk full)
  | 'STORE_UNAVAILABLE' // exit 2: the PostgreSQL server cannot be reached or dropped the connection
  | 'STORE_AUTH' // exit 1: PostgreSQL refused the login
  | 'STORE_TIMEOUT' // exit 2: a PostgreSQL statement ran past its timeout
  | 'STORE_EXTENSION_MISSING' // exit 1: the PostgreSQL server has no pgvector
  | 'INGEST_BAD_FILE' // a warning-level problem with one file; exit 1 if fatal
  // distributed runs
  | 'QUEUE_UNAVAILABLE' // Redis behind --queue does not answer (exit 2)
  // loom sync: a request or a whole source failed (exit 2); one page's failure is a warning
  | 'SYNC_FETCH_FAILED'
  | 'SYNC_SOURCE_FAILED'
  | 'INTERNAL';

// a Record so that a code added to the union above without being listed here fails to compile
const ALL_CODES: Record<ErrorCode, true> = {
  SPEC_INVALID: true, SPEC_NOT_FOUND: true, SPEC_TOO_LARGE: true, INPUT_INVALID: true, USAGE: true, CONFIG_INVALID: true,
  RUN_STEP_FAILED: true, RUN_TIMEOUT: true, RUN_ABORTED: true, RUN_OUTPUT_INVALID: true,
  PROVIDER_UNAVAILABLE: true, PROVIDER_RATE_LIMIT: true, PROVIDER_SERVER_ERROR: true, PROVIDER_BAD_RESPONSE: true,
  PROVIDER_AUTH: true, PROVIDER_BAD_REQUEST: true, PROVIDER_NOT_CONFIGURED: true,
  STORE_NOT_FOUND: true, STORE_LOCKED: true, STORE_EMBEDDER_MISMATCH: true, STORE_CORRUPT: true, STORE_IO: true,
  STORE_UNAVAILABLE: true, STORE_AUTH: true, STORE_TIMEOUT: true, STORE_EXTENSION_MISSING: true,
  INGEST_BAD_FILE: true, QUEUE_UNAVAILABLE: true, SYNC_FETCH_FAILED: true, SYNC_SOURCE_FAILED: true, INTERNAL: true,
};

/** Every ErrorCode, for codes written in files (a test case's `expect_error:`). */
export const ERROR_CODES: readonly ErrorCode[] = Object.keys(ALL_CODES) as ErrorCode[];

const USER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SPEC_INVALID', 'SPEC_NOT_FOUND', 'SPEC_TOO_LARGE', 'INPUT_INVALID', 'USAGE', 'CONFIG_INVALID',
  'PROVIDER_NOT_CONFIGURED', 'STORE_NOT_FOUND', 'STORE_LOCKED', 'STORE_EMBEDDER_MISMATCH', 'INGEST_BAD_FILE',
  'STORE_AUTH', 'STORE_EXTENSION_MISSING',
]);

/** A problem found in a file, with an offset into its source (turned into line:col only when printed). */
export interface Diagnostic {
  code: string; // e.g. 'unknown-key', 'duplicate-id', 'unknown-ref', 'cycle', 'yaml-syntax'
  message: string;
  file?: string;
  /** [start, end) character offsets into the file's text, when known */
  range?: [number, number];
  line?: number; // 1-based, filled by the loader from YAML's LineCounter
  col?: number; // 1-based
  path?: (string | number)[]; // path in the document, e.g. ['steps', 2, 'retrieve', 'k']
  severity?: 'error' | 'warning';
  hint?: string;
}

export interface LoomErrorOptions {
  cause?: unknown;
  /** what the user should do about it */
  hint?: string;
  file?: string;
  stepId?: string;
  model?: string;
  diagnostics?: Diagnostic[];
  /** false means retrying cannot help (bad request, auth, validation) */
  retryable?: boolean;
  /** server-provided delay before the next attempt (Retry-After) */
  retryAfterMs?: number;
}

export class LoomError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly file?: string;
  readonly stepId?: string;
  readonly model?: string;
  readonly diagnostics: Diagnostic[];
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: LoomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LoomError';
    this.code = code;
    this.hint = options.hint;
    this.file = options.file;
    this.stepId = options.stepId;
    this.model = options.model;
    this.diagnostics = options.diagnostics ?? [];
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isLoomError(value: unknown): value is LoomError {
  return value instanceof LoomError;
}

/** 1 for the user's mistakes (file, YAML, inputs, usage), 2 for failures while running. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return isLoomError(error) && USER_CODES.has(error.code) ? 1 : 2;
}

/** Wraps anything thrown into a LoomError, in one place (the CLI boundary and the engine). */
export function toLoomError(error: unknown, fallback: ErrorCode = 'INTERNAL'): LoomError {
  if (isLoomError(error)) return error;
  if (error instanceof Error) return new LoomError(fallback, error.message, { cause: error });
  return new LoomError(fallback, String(error));
}
