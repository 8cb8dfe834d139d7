import pLimit from 'p-limit';
import { LoomError, isLoomError } from '../errors.js';
import { retryCall, type RetryPolicy } from '../engine/retry.js';
import { retryAfterOf } from '../providers/errors.js';
import { HostGate } from './politeness.js';

export interface HttpOptions {
  /** requests per second per host (0 = no limit) */
  rate: number;
  concurrency: number;
  timeoutMs: number;
  maxBytes: number;
  /** default: 4 attempts, 500 ms base, a Retry-After of up to 2 minutes waited out */
  retry?: RetryPolicy;
  maxRedirects?: number;
  userAgent?: string;
  signal?: AbortSignal;
  /** robots.txt shared by the sources of one sync (one fetch per origin) */
  gate?: HostGate;
}

export interface GetOptions {
  headers?: Record<string, string>;
  /** accepted media types ('text/html', 'application/json', …); another type is refused */
  accept?: string[];
  etag?: string;
  lastModified?: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** skip the robots.txt check (robots.txt itself, and APIs the user named) */
  robots?: boolean;
}

export interface HttpResponse {
  status: number;
  /** the URL after redirects */
  url: string;
  headers: Headers;
  body: Buffer;
  /** 304: the stored copy is current */
  notModified: boolean;
  /** 404 or 410: the page is gone */
  gone: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 500, maxMs: 120_000 };
export const USER_AGENT = 'promptloom-sync/0.1 (+https://github.com/promptloom/promptloom)';

/**
 * HTTP for one source: at most `rate` requests per second per host and `concurrency` in flight,
 * robots.txt honoured, 429/503/5xx and network failures retried with the engine's retry rule
 * (Retry-After waited out), redirects followed up to a limit, bodies cut at `maxBytes`. Failures
 * are LoomError SYNC_FETCH_FAILED naming the URL; 304, 404 and 410 are answers, not failures.
 */
export class HttpClient {
  /** requests sent, including retries, redirects and robots.txt */
  requests = 0;
  private readonly limit: ReturnType<typeof pLimit>;
  readonly gate: HostGate;

  constructor(private readonly options: HttpOptions) {
    this.limit = pLimit(options.concurrency);
    this.gate = options.gate ?? new HostGate();
  }

  get(url: string, options: GetOptions = {}): Promise<HttpResponse> {
    return this.limit(() => this.withRetries(url, options));
  }

  /** GET and parse JSON; an HTML error page or broken JSON is a clear SYNC_FETCH_FAILED. */
  async json<T>(url: string, options: GetOptions = {}): Promise<{ value: T | undefined; response: HttpResponse }> {
    const response = await this.get(url, { ...options, accept: ['application/json'] });
    if (response.gone || response.notModified) return { value: undefined, response };
    try {
      return { value: JSON.parse(response.body.toString('utf8')) as T, response };
    } catch (error) {
      throw fetchError(url, `not valid JSON (${(error as Error).message.split('\n')[0]})`, false);
    }
  }

  /** The engine's one retry rule: full jitter, capped waits, Retry-After waited out, abort at once. */
  private withRetries(url: string, options: GetOptions): Promise<HttpResponse> {
    const signal = this.options.signal;
    const toError = (error: unknown): LoomError => {
      if (isLoomError(error)) return error;
      if (signal?.aborted) return new LoomError('RUN_ABORTED', 'the sync was cancelled', { cause: error });
      return fetchError(url, (error as Error)?.message ?? String(error), false);
    };
    return retryCall(() => this.follow(url, options), this.options.retry ?? DEFAULT_RETRY, { signal, toError });
  }

  /** One attempt: the request and its redirects. */
  private async follow(start: string, options: GetOptions): Promise<HttpResponse> {
    const seen = new Set<string>();
    let url = start;
    for (let hop = 0; ; hop++) {
      if (seen.has(url)) throw fetchError(start, `redirect loop (back to ${url})`, false);
      if (hop > (this.options.maxRedirects ?? 5)) throw fetchError(start, `more than ${this.options.maxRedirects ?? 5} redirects`, false);
      seen.add(url);
      if (options.robots !== false && !(await this.gate.allowed(url, (u) => this.once(u, { robots: false }), this.options.userAgent ?? USER_AGENT))) {
        throw fetchError(url, 'disallowed by robots.txt', false);
      }
      const res = await this.once(url, options);
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const location = res.headers.get('location');
        if (!location) throw fetchError(url, `redirect ${res.status} without a Location header`, false);
        url = new URL(location, url).href;
        continue;
      }
      return res;
    }
  }

  private async once(url: string, options: GetOptions): Promise<HttpResponse> {
    await this.gate.wait(url, this.options.rate, this.options.signal);
    this.requests++;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? USER_AGENT, ...options.headers };
    if (options.etag) headers['if-none-match'] = options.etag;
    if (options.lastModified) headers['if-modified-since'] = options.lastModified;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, { method: options.method ?? 'GET', body: options.body, headers, redirect: 'manual', signal });
    } catch (error) {
      if (this.options.signal?.aborted) throw this.options.signal.reason;
      const why = timeout.aborted ? `no answer within ${this.options.timeoutMs / 1000} s` : `connection failed (${causeOf(error)})`;
      throw fetchError(url, why, true);
    }
    return this.answer(url, res, options);
  }

  private async answer(url: string, res: Response, options: GetOptions): Promise<HttpResponse> {
    const base = { status: res.status, url, headers: res.headers, body: Buffer.alloc(0), notModified: res.status === 304, gone: res.status === 404 || res.status === 410 };
    if (res.status === 304 || base.gone || (res.status >= 300 && res.status < 400)) {
      await res.body?.cancel();
      return base;
    }
    if (res.status >= 400) {
      await res.body?.cancel();
      // GitHub signals an exhausted quota with 403 and x-ratelimit-remaining: 0 until x-ratelimit-reset
      const quota = res.headers.get('x-ratelimit-remaining') === '0' ? Math.max(0, Number(res.headers.get('x-ratelimit-reset')) * 1000 - Date.now()) : undefined;
      const retryable = res.status === 429 || res.status >= 500 || res.status === 408 || quota !== undefined;
      throw fetchError(url, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, retryable, retryable ? retryAfterOf(res.headers) ?? quota : undefined);
    }
    const type = mediaType(res.headers.get('content-type'));
    if (options.accept && !options.accept.some((a) => type === a || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))))) {
      await res.body?.cancel();
      throw fetchError(url, `content type ${type || 'missing'}, expected ${options.accept.join(' or ')}`, false);
    }
    return { ...base, body: await readCapped(url, res, this.options.maxBytes) };
  }
}

export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Reads a body, refusing it as soon as it passes `max` bytes (the rest is never downloaded). */
async function readCapped(url: string, res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) {
    await res.body?.cancel();
    throw fetchError(url, tooLarge(declared, max, 'declared'), false);
  }
  const parts: Buffer[] = [];
  let size = 0;
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw fetchError(url, tooLarge(size, max, 'at least'), false);
    }
    parts.push(Buffer.from(value));
  }
  return Buffer.concat(parts);
}

function tooLarge(bytes: number, max: number, how: string): string {
  return `larger than the ${(max / 1048576).toFixed(max % 1048576 ? 1 : 0)} MB page limit (${how} ${(bytes / 1048576).toFixed(1)} MB; raise max_page_mb to read it)`;
}

function causeOf(error: unknown): string {
  let cur = error as { code?: unknown; cause?: unknown; message?: string } | undefined;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (typeof cur.code === 'string') return cur.code;
    cur = cur.cause as typeof cur;
  }
  return (error as Error)?.message ?? String(error);
}

export function fetchError(url: string, why: string, retryable: boolean, retryAfterMs?: number): LoomError {
  return new LoomError('SYNC_FETCH_FAILED', `${url}: ${why}`, { retryable, retryAfterMs });
}
