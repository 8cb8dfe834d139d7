import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';
import { createMcpServer } from './mcp.js';
import type { Service } from './service.js';

/**
 * MCP over streamable HTTP at /mcp, stateless: each POST gets its own server and transport, so
 * any worker can answer any request and nothing is kept between them. Keys apply as elsewhere.
 */
export function registerMcp(app: FastifyInstance, service: Service): void {
  app.post('/mcp', async (request, reply) => {
    const server = await createMcpServer(service);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });
  const notStateful = async () => {
    throw new HttpError(405, 'method_not_allowed', 'this MCP endpoint is stateless: POST JSON-RPC messages to /mcp (no GET stream, no sessions to DELETE)');
  };
  app.get('/mcp', notStateful);
  app.delete('/mcp', notStateful);
}

/** `loom mcp`: the same tools and resources over stdin/stdout. */
export async function serveMcpStdio(service: Service): Promise<{ close: () => Promise<void> }> {
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const server = await createMcpServer(service);
  await server.connect(new StdioServerTransport());
  return { close: () => server.close() };
}
