import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { askQuestion, urlOfHit } from './ask-adapter.js';
import { toHttpError } from './http-error.js';
import { runEntry } from './runner.js';
import type { Service } from './service.js';

const DOC_URI = 'loom://documents/';

/**
 * The MCP server: tools `search`, `ask`, `run_pipeline`, and the store's documents as resources.
 * One per connection (stdio) or per request (stateless streamable HTTP); the service is shared.
 */
export async function createMcpServer(service: Service): Promise<McpServer> {
  const { VERSION } = await import('./version.js');
  const server = new McpServer({ name: 'promptloom', version: VERSION });
  const text = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] });
  const failed = (error: unknown): CallToolResult => ({ isError: true, content: [{ type: 'text', text: toHttpError(error).message }] });

  server.registerTool('search', {
    title: 'Search the docs',
    description: 'Hybrid (BM25 + vector) search over the community docs. Returns passages with source, heading, url and text.',
    inputSchema: { query: z.string().min(1).max(service.options.maxQuestionChars), k: z.number().int().min(1).max(50).optional(), lang: z.string().optional(), filter: z.record(z.string(), z.string()).optional() },
  }, async ({ query, k, lang, filter }) => {
    try {
      const store = await service.store.get();
      const hits = await store.search(query, { k: k ?? 6, lang, filter });
      return text(hits.map((h) => ({ source: h.source, heading: h.heading, url: urlOfHit(h) ?? null, lang: h.lang, score: h.score, text: h.text })));
    } catch (error) {
      return failed(error);
    }
  });

  server.registerTool('ask', {
    title: 'Ask the docs',
    description: 'Answer a question from the community docs with numbered citations [n]; says so when the docs do not answer it.',
    inputSchema: { question: z.string().min(1).max(service.options.maxQuestionChars), lang: z.string().optional() },
  }, async ({ question, lang }, extra) => {
    try {
      const answer = await askQuestion(service, { entry: service.catalog.get('ask')!, question, lang, signal: extra.signal });
      const sources = answer.citations.map((c) => `[${c.n}] ${c.url ?? [c.source, c.heading].filter(Boolean).join(' › ')}`);
      return { ...text([answer.answer, sources.length ? `\nSources:\n${sources.join('\n')}` : ''].join('')), structuredContent: { ...answer } };
    } catch (error) {
      return failed(error);
    }
  });

  const pipelines = service.catalog.list().map((e) => `- ${e.name}: ${e.description} Inputs: ${JSON.stringify(e.inputs)}`).join('\n');
  server.registerTool('run_pipeline', {
    title: 'Run a pipeline',
    description: `Run one of the server's pipelines with JSON inputs; returns its outputs.\n${pipelines}`,
    inputSchema: { name: z.enum(service.catalog.list().map((e) => e.name) as [string, ...string[]]), inputs: z.record(z.string(), z.unknown()).optional() },
  }, async ({ name, inputs }, extra) => {
    try {
      const core = await import('@promptloom/core');
      const entry = service.catalog.get(name)!;
      core.parseInputs(entry.pipeline, inputs ?? {});
      const result = await runEntry(service, { entry, inputs: inputs ?? {}, signal: extra.signal });
      const summary = core.summarizeRun(result);
      return result.status === 'ok' ? text(summary.outputs) : { ...text(summary), isError: true };
    } catch (error) {
      return failed(error);
    }
  });

  server.registerResource('documents', new ResourceTemplate(`${DOC_URI}{path}`, {
    list: async () => {
      const core = await import('@promptloom/core');
      const docs = await core.listDocuments(await service.store.get());
      return { resources: docs.map((d) => ({ uri: DOC_URI + encodeURIComponent(d.path), name: d.path, mimeType: 'text/markdown' })) };
    },
  }), { title: 'Documents in the store', description: 'The text of each ingested document, as stored (chunks in order)', mimeType: 'text/markdown' }, async (uri, variables) => {
    const core = await import('@promptloom/core');
    const path = decodeURIComponent(String(variables.path));
    const doc = await core.readDocument(await service.store.get(), path);
    if (!doc) throw new Error(`no document ${path} in the store`);
    return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: doc.text }] };
  });
  return server;
}
