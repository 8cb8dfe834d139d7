import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { HttpError, errorBody, toHttpError } from './http-error.js';
import type { Service } from './service.js';

/** Routes that answer without a key: the page and its files, and the load balancer's probes. */
const PUBLIC = new Set(['/', '/index.html', '/app.js', '/style.css', '/favicon.svg', '/healthz', '/readyz']);

declare module 'fastify' {
  interface FastifyRequest {
    /** which key authenticated the request (key1, key2, …), or the client address when anonymous */
    who: string;
  }
}

/** The Fastify instance with the server's safety rails; routes are added by the caller. */
export async function buildApp(service: Service): Promise<FastifyInstance> {
  const o = service.options;
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // slowloris: headers and whole requests have deadlines, checked every second
    serverFactory: (handler) => createServer({ headersTimeout: o.headersTimeoutMs, requestTimeout: o.requestTimeoutMs, connectionsCheckingInterval: 1000 }, handler as (req: IncomingMessage, res: ServerResponse) => void),
  });
  app.decorateRequest('who', '');
  // JSON only: anything else is 415 with a hint, not a string body the routes must guess about
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => sendError(service, error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    sendError(service, new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}; see /v1/models, /v1/chat/completions, /v1/search, /v1/pipelines, /mcp`), request, reply);
  });
  app.addHook('onRequest', async (request) => authenticate(service, request));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    service.metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    service.metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  if (o.corsOrigins.length > 0) {
    const cors = (await import('@fastify/cors')).default;
    await app.register(cors, { origin: o.corsOrigins, methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['authorization', 'content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version'], exposedHeaders: ['retry-after', 'mcp-session-id'] });
  }
  if (o.rateLimitPerMinute > 0) await registerRateLimit(app, service);
  return app;
}

async function authenticate(service: Service, request: FastifyRequest): Promise<void> {
  const path = request.url.split('?')[0];
  if (!service.keys.enabled) {
    request.who = request.ip;
    return;
  }
  if (PUBLIC.has(path) || request.method === 'OPTIONS') return;
  const who = service.keys.check(request.headers.authorization);
  if (!who) {
    throw new HttpError(401, 'invalid_api_key', request.headers.authorization ? 'the API key is not valid' : 'an API key is required: send Authorization: Bearer KEY');
  }
  request.who = who;
}

async function registerRateLimit(app: FastifyInstance, service: Service): Promise<void> {
  const rateLimit = (await import('@fastify/rate-limit')).default;
  await app.register(rateLimit, {
    max: service.options.rateLimitPerMinute,
    timeWindow: 60_000,
    // after authentication, so the limit is per key and a bad key never spends anyone's budget
    hook: 'preHandler',
    keyGenerator: (request) => request.who || request.ip,
    allowList: (request) => PUBLIC.has(request.url.split('?')[0]),
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return Object.assign(new HttpError(429, 'rate_limit_exceeded', `rate limit of ${context.max} requests per minute reached; retry after ${seconds} s`, { retryAfterS: seconds }), { statusCode: 429 });
    },
  });
}

function sendError(service: Service, error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const http = toHttpError(error);
  service.metrics.errors.inc({ code: http.code });
  if (http.status >= 500 && !(error instanceof HttpError)) {
    const e = error as { code?: string; message?: string };
    // one line, no stack: the code and message of what failed, never a header
    service.options.log(`error: ${request.method} ${request.url.split('?')[0]}: ${e.code ?? 'error'}: ${String(e.message ?? error).split('\n')[0]}`);
  }
  if (http.options.retryAfterS !== undefined) void reply.header('retry-after', String(http.options.retryAfterS));
  void reply.code(http.status).type('application/json; charset=utf-8').send(errorBody(http));
}
