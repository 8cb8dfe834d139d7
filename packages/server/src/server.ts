import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { registerHealth } from './health-routes.js';
import { loadTokenCounter, registerOpenAI } from './openai-routes.js';
import { registerRest } from './rest-routes.js';
import { registerMcp, serveMcpStdio } from './mcp-routes.js';
import { registerPage } from './page-routes.js';
import { withDefaults, type ServeOptions } from './options.js';
import { createService, type Service } from './service.js';

export interface RunningServer {
  /** http://HOST:PORT */
  url: string;
  port: number;
  app: FastifyInstance;
  service: Service;
  /**
   * Stops accepting, lets in-flight requests finish, and after `graceMs` cancels what is still
   * running (streams end with an error event) so the process can exit in time.
   */
  close(graceMs?: number): Promise<void>;
}

/** Starts `loom serve` in this process. */
export async function startServer(input: Partial<ServeOptions> & { store: string }): Promise<RunningServer> {
  const options = withDefaults(input);
  const service = await createService(options);
  const app = await buildApp(service);
  registerOpenAI(app, service);
  registerRest(app, service);
  registerHealth(app, service);
  registerMcp(app, service);
  registerPage(app);
  await loadTokenCounter();
  await app.listen({ host: options.host, port: options.port });
  void warmUp(service);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`, port, app, service,
    close: async (graceMs = 8_000) => {
      const timer = setTimeout(() => {
        service.shutdown.abort(new Error('server shutting down'));
        app.server.closeAllConnections();
      }, graceMs);
      timer.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
        service.store.close();
      }
    },
  };
}

/**
 * Opens the store and loads the language models in the background, so the first question does
 * not pay for them. A store that cannot be opened is reported by /readyz and by the requests.
 */
async function warmUp(service: Service): Promise<void> {
  try {
    const core = await import('@promptloom/core');
    const store = await service.store.get();
    await store.search('warm up', { k: 1 });
    await core.detectLanguage('warm up the language models');
  } catch {
    // answered per request, with the store's own error
  }
}

/** `loom mcp`: tools and resources over stdio (stdout is the protocol; logs go to stderr). */
export async function startMcpStdio(input: Partial<ServeOptions> & { store: string }): Promise<{ close: () => Promise<void> }> {
  // stdio is this user's own process: no keys, no bind to check
  const options = withDefaults({ ...input, host: '127.0.0.1', apiKeys: [] });
  const service = await createService(options);
  const mcp = await serveMcpStdio(service);
  return {
    close: async () => {
      await mcp.close();
      service.store.close();
    },
  };
}
