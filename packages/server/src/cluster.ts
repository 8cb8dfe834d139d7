import cluster from 'node:cluster';
import type { ServeOptions } from './options.js';
import { startServer, type RunningServer } from './server.js';

export interface ServeHandle {
  url: string;
  /** false in a cluster worker: the primary announces the one URL */
  announce: boolean;
  /** graceful stop: stop accepting, finish in-flight requests, then exit */
  stop(): Promise<void>;
}

type ReadyMessage = { loomServe: 'ready'; url: string } | { loomServe: 'failed'; message: string; code?: string; hint?: string };

/**
 * `--workers N`: node:cluster forks N copies of this command; each opens the store read-only and
 * listens on the same port (the primary hands out connections). The primary only supervises.
 * `workers <= 1` serves in this process.
 */
export async function serve(input: Partial<ServeOptions> & { store: string }, workers = 1): Promise<ServeHandle> {
  if (cluster.isWorker) return serveAsWorker(input);
  if (workers <= 1) return handleOf(await startServer(input));
  return servePrimary(workers);
}

function handleOf(server: RunningServer): ServeHandle {
  return { url: server.url, announce: true, stop: () => server.close() };
}

async function serveAsWorker(input: Partial<ServeOptions> & { store: string }): Promise<ServeHandle> {
  let server: RunningServer;
  try {
    server = await startServer(input);
  } catch (error) {
    const e = error as { message?: string; code?: string; hint?: string };
    process.send?.({ loomServe: 'failed', message: String(e.message), code: e.code, hint: e.hint } satisfies ReadyMessage);
    throw error;
  }
  process.send?.({ loomServe: 'ready', url: server.url } satisfies ReadyMessage);
  return {
    url: server.url,
    announce: false,
    stop: async () => {
      await server.close();
      // the channel to the primary would keep this process alive
      cluster.worker?.disconnect();
    },
  };
}

async function servePrimary(workers: number): Promise<ServeHandle> {
  const { LoomError } = await import('@promptloom/core');
  const children = Array.from({ length: workers }, () => cluster.fork());
  let stopping = false;
  const urls = await Promise.all(children.map((child) => new Promise<string>((resolve, reject) => {
    child.on('message', (m: ReadyMessage) => {
      if (m?.loomServe === 'ready') resolve(m.url);
      else if (m?.loomServe === 'failed') reject(new LoomError('USAGE', m.message, { hint: m.hint }));
    });
    child.once('exit', (code) => reject(new LoomError('INTERNAL', `a server worker exited (code ${code}) before it was ready`)));
  }))).catch((error: unknown) => {
    for (const c of children) c.kill();
    throw error;
  });
  // a worker that dies while serving is replaced; during a stop, workers leave for good
  cluster.on('exit', (worker, code) => {
    if (!stopping && code !== 0) children[children.indexOf(worker)] = cluster.fork();
  });
  return {
    url: urls[0],
    announce: true,
    stop: async () => {
      stopping = true;
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.isDead()) return resolve();
        c.once('exit', () => resolve());
        c.process.kill('SIGTERM');
      })));
    },
  };
}
