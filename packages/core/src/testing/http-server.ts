import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface LoggedRequest {
  method: string;
  /** path and query, as sent */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A handler answers a request, or returns false to leave it to the next one (404 at the end). */
export type Route = (req: LoggedRequest, res: ServerResponse) => boolean | Promise<boolean>;

export interface FakeServer {
  url: string;
  requests: LoggedRequest[];
  /** requests whose path matches */
  count(path: RegExp | string): number;
  /** put a route before the built-in ones (fault injection) */
  intercept(route: Route): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that logs every request, for the sync tests and bench. */
export async function startServer(routes: Route[]): Promise<FakeServer> {
  const requests: LoggedRequest[] = [];
  const before: Route[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const logged: LoggedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', path: (req.url ?? '/').split('?')[0], headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(logged);
      void (async () => {
        for (const route of [...before, ...routes]) if (await route(logged, res)) return;
        send(res, 404, 'application/json', JSON.stringify({ errors: ['not found'], error_type: 'not_found' }));
      })().catch((error: unknown) => { if (!res.headersSent) send(res, 500, 'text/plain', String(error)); });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (p) => requests.filter((r) => (typeof p === 'string' ? r.path === p : p.test(r.url))).length,
    intercept: (route) => { before.unshift(route); },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): true {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
  return true;
}

export function sendJson(res: ServerResponse, value: unknown, headers: Record<string, string> = {}): true {
  return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

export function queryOf(req: LoggedRequest): URLSearchParams {
  return new URL(req.url, 'http://x').searchParams;
}
