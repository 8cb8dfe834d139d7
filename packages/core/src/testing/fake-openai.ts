/*
 * A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: the real @langchain/openai client
 * talks to it over HTTP, so the client's own parsing, streaming and error paths run.
 *
 * Script format
 * -------------
 *   const fake = await startFakeOpenAI({
 *     replies: [                                  // a queue, consumed in order by POST requests
 *       { content: 'Paris [1]' },                 // a chat answer (streamed word by word if stream: true)
 *       { status: 429, retryAfter: 2 },           // Retry-After in seconds ...
 *       { status: 429, retryAfter: new Date(Date.now() + 1500).toUTCString() }, // ... or as an HTTP date
 *       { status: 503, errorMessage: 'overloaded' },
 *       { fault: 'reset' },                       // socket destroyed before any answer
 *       { fault: 'truncated-json' },              // 200 with half a JSON body
 *       { fault: 'stream-cut', content: 'a b c d', cutAfterChunks: 2 }, // SSE, then the socket dies
 *       { fault: 'hang' },                        // never answers
 *       { delayMs: 5000, content: 'late' },       // slow headers (past a client timeout)
 *       { content: 'no usage', usage: false },    // the server leaves usage out
 *       { for: 'embeddings', status: 500 },       // only consumed by /v1/embeddings
 *     ],
 *     handler: (req) => ({ content: `echo ${lastUserMessage(req)}` }), // when the queue has nothing for a request
 *     latencyMs: 200,                             // default delay for every answer without its own delayMs
 *     embeddingDimensions: 64,                    // default vector size (a request's `dimensions` wins)
 *     models: ['gpt-4o-mini'],                    // GET /v1/models
 *     responseFormats: ['json_schema'],           // 400 for response_format json_object (default: both)
 *   });
 *   // fake.url is 'http://127.0.0.1:PORT/v1'; fake.requests records every request (body, headers);
 *   // fake.enqueue(...replies), fake.setHandler(fn), fake.maxInFlight, await fake.close().
 *
 * Order of precedence per request: the first queued reply whose `for` matches, else the handler
 * (a reply, a plain string = content, or undefined to fall through), else the default answer:
 * numbered passages ("[1] ...") get their first sentence back citing [1], JSON mode gets a small
 * object, anything else "Fake answer: <first sentence of the last user message>".
 * Embeddings are unit vectors derived from sha256 of each input (float arrays or base64).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  type Endpoint, type FakeReply, type RecordedRequest,
  chatCompletionBody, defaultChatContent, embeddingsBody, splitDeltas, streamChunk, usageChunk, usageFor,
} from './replies.js';

export type FakeHandler = (req: RecordedRequest) => FakeReply | string | undefined | Promise<FakeReply | string | undefined>;

export interface FakeScript {
  replies?: FakeReply[];
  handler?: FakeHandler;
  latencyMs?: number;
  embeddingDimensions?: number;
  models?: string[];
  /**
   * response_format types this server honours (default both); a request with another type gets
   * a 400 naming it, as servers without structured outputs (or with only them) answer
   */
  responseFormats?: ('json_object' | 'json_schema')[];
}

export interface FakeOpenAI {
  /** base URL including /v1, e.g. http://127.0.0.1:40123/v1 */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** requests to one endpoint, e.g. chatRequests('chat') */
  requestsTo(endpoint: Endpoint): RecordedRequest[];
  enqueue(...replies: FakeReply[]): void;
  setHandler(handler: FakeHandler | undefined): void;
  /** requests being answered right now, and the most there ever were at once */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** forgets recorded requests, the queue and maxInFlight */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeOpenAI(script: FakeScript = {}): Promise<FakeOpenAI> {
  const queue: FakeReply[] = [...(script.replies ?? [])];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let handler = script.handler;
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;

  const sleep = (ms: number, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const done = () => { clearTimeout(t); timers.delete(t); res.off('close', done); resolve(); };
      const t = setTimeout(done, ms);
      timers.add(t);
      res.once('close', done);
      // out of flight the moment the last bytes are handed over, not when 'close' fires later:
      // the client (often in this same process) may already have sent its next request by then
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => { done(); return end(...args); }) as ServerResponse['end'];
    });

  const take = (endpoint: Endpoint): FakeReply | undefined => {
    const i = queue.findIndex((r) => r.for === undefined || r.for === endpoint);
    return i < 0 ? undefined : queue.splice(i, 1)[0];
  };

  const pick = async (req: RecordedRequest): Promise<FakeReply> => {
    const queued = take(req.endpoint);
    if (queued) return queued;
    const fromHandler = handler ? await handler(req) : undefined;
    if (typeof fromHandler === 'string') return { content: fromHandler };
    return fromHandler ?? {};
  };

  const serve = async (msg: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => {
    if (rec.endpoint === 'models' && msg.method === 'GET') {
      const data = (script.models ?? ['fake-model']).map((id) => ({ id, object: 'model', created: 0, owned_by: 'promptloom-fake' }));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (msg.method !== 'POST' || rec.endpoint === 'other' || rec.endpoint === 'models') {
      return sendJson(res, 404, { error: { message: `no route for ${msg.method} ${rec.path}`, type: 'invalid_request_error', code: null } });
    }
    const refused = refusedFormat(rec, script.responseFormats);
    if (refused) return sendJson(res, 400, { error: { message: refused, type: 'invalid_request_error', code: 'invalid_request_error' } });
    const reply = await pick(rec);
    await sleep(reply.delayMs ?? script.latencyMs ?? 0, res);
    if (res.destroyed || closed) return;
    if (reply.fault === 'hang') return;
    if (reply.fault === 'reset') return resetSocket(msg.socket);
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
    if (reply.rawBody !== undefined) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...headers });
      return void res.end(reply.rawBody);
    }
    if (reply.status && reply.status >= 400) {
      const type = reply.status === 429 ? 'rate_limit_exceeded' : reply.status >= 500 ? 'server_error' : 'invalid_request_error';
      const message = reply.errorMessage ?? `fake error ${reply.status}`;
      return sendJson(res, reply.status, { error: { message, type, code: type } }, headers);
    }
    if (rec.endpoint === 'embeddings') {
      return sendBody(res, reply, JSON.stringify(embeddingsBody(rec, script.embeddingDimensions ?? 64)), headers);
    }
    const content = reply.content ?? (reply.chunks ? reply.chunks.join('') : defaultChatContent(rec));
    if (rec.body?.stream === true) return streamChat(res, rec, reply, content, headers, sleep);
    return sendBody(res, reply, JSON.stringify(chatCompletionBody(rec, reply, content)), headers);
  };

  const server = createServer((msg, res) => {
    const chunks: Buffer[] = [];
    msg.on('data', (c: Buffer) => chunks.push(c));
    msg.on('end', () => {
      const rec = record(msg, Buffer.concat(chunks).toString('utf8'), requests.length);
      requests.push(rec);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let counted = true;
      const done = () => { if (counted) { counted = false; inFlight--; } };
      res.once('close', done);
      // out of flight the moment the last bytes are handed over, not when 'close' fires later:
      // the client (often in this same process) may already have sent its next request by then
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => { done(); return end(...args); }) as ServerResponse['end'];
      serve(msg, res, rec).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: `fake server handler failed: ${String(error)}`, type: 'server_error', code: null } });
        else res.destroy();
      });
    });
  });
  // Clients (undici) drop idle keep-alive sockets after ~4 s; a server that closes them first
  // races a request already written to the pooled socket (ECONNRESET on a loaded machine).
  server.keepAliveTimeout = 120_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    requestsTo: (endpoint) => requests.filter((r) => r.endpoint === endpoint),
    enqueue: (...replies) => { queue.push(...replies); },
    setHandler: (h) => { handler = h; },
    get inFlight() { return inFlight; },
    get maxInFlight() { return maxInFlight; },
    reset: () => { requests.length = 0; queue.length = 0; maxInFlight = inFlight; },
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function record(msg: IncomingMessage, rawBody: string, index: number): RecordedRequest {
  const path = (msg.url ?? '/').split('?')[0];
  let body: any;
  try { body = rawBody ? JSON.parse(rawBody) : undefined; } catch { body = undefined; }
  return { method: msg.method ?? 'GET', path, headers: { ...msg.headers }, rawBody, body, endpoint: endpointOf(path), index, at: Date.now() };
}

function refusedFormat(rec: RecordedRequest, honoured: FakeScript['responseFormats']): string | undefined {
  const type = rec.endpoint === 'chat' ? rec.body?.response_format?.type : undefined;
  if (!honoured || type === undefined || type === 'text' || honoured.includes(type)) return undefined;
  return `response_format type '${type}' is not supported by this server; use ${honoured.join(' or ')}`;
}

function resetSocket(socket: Socket): void {
  // a TCP RST (ECONNRESET on the client) where Node supports it, else a plain close
  const s = socket as Socket & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else s.destroy();
}

function endpointOf(path: string): Endpoint {
  if (path.endsWith('/chat/completions')) return 'chat';
  if (path.endsWith('/embeddings')) return 'embeddings';
  if (path.endsWith('/models')) return 'models';
  return 'other';
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendBody(res: ServerResponse, reply: FakeReply, text: string, headers: Record<string, string>): void {
  if (reply.fault === 'truncated-json') {
    // chunked, so the response ends cleanly and only the JSON parser notices
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    return void res.end(text.slice(0, Math.floor(text.length / 2)));
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function streamChat(
  res: ServerResponse, rec: RecordedRequest, reply: FakeReply, content: string,
  headers: Record<string, string>, sleep: (ms: number, res: ServerResponse) => Promise<void>,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  const deltas = reply.chunks ?? splitDeltas(content);
  const cutAt = reply.fault === 'stream-cut' ? (reply.cutAfterChunks ?? 2) : Infinity;
  res.write(streamChunk(rec, { role: 'assistant', content: '' }, null));
  for (let i = 0; i < deltas.length; i++) {
    if (i >= cutAt) return void res.socket?.destroy();
    if (i > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs, res);
    if (res.destroyed) return;
    // wait for the flush so the client really gets these chunks before a cut
    await new Promise<void>((resolve) => res.write(streamChunk(rec, { content: deltas[i] }, null), () => resolve()));
  }
  if (cutAt !== Infinity) {
    // a cut requested at or past the end still loses the finish and [DONE] lines
    return void res.socket?.destroy();
  }
  res.write(streamChunk(rec, {}, reply.finishReason ?? 'stop'));
  if (rec.body?.stream_options?.include_usage && reply.usage !== false) res.write(usageChunk(rec, usageFor(rec, reply, content)));
  res.end('data: [DONE]\n\n');
}
