import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { REPO, docsStore, serveOn } from './helpers.js';
import type { RunningServer } from '../src/index.js';

const KEY = 'mcp-test-key-0123456789';
const BIN = join(REPO, 'packages/cli/dist/bin.js');
let store: Awaited<ReturnType<typeof docsStore>>;
let server: RunningServer;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (corepack pnpm build)`);
  store = await docsStore();
  server = await serveOn(store.dir, { apiKeys: [KEY] });
}, 120_000);
afterAll(async () => {
  await server?.close();
  store?.remove();
});

type TextContent = { type: string; text: string }[];

/** The same checks over either transport: tools, their answers, and the documents as resources. */
async function exercise(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'run_pipeline', 'search']);
  expect(tools.find((t) => t.name === 'run_pipeline')!.description).toContain('bilingual-answer');

  const search = await client.callTool({ name: 'search', arguments: { query: 'fetch retries', k: 3 } });
  const hits = JSON.parse((search.content as TextContent)[0].text);
  expect(hits).toHaveLength(3);
  expect(hits[0]).toMatchObject({ source: expect.any(String), heading: expect.any(String), text: expect.any(String) });
  expect(hits[0]).toHaveProperty('url');

  const ask = await client.callTool({ name: 'ask', arguments: { question: 'How do I configure retries for feeds that fail to fetch?' } });
  expect((ask.content as TextContent)[0].text).toContain('fetch.retry');
  expect((ask.content as TextContent)[0].text).toContain('Sources:');
  expect((ask.structuredContent as { citations: { source: string }[] }).citations.map((c) => c.source)).toContain('en/guide/fetch-retries.md');

  const run = await client.callTool({ name: 'run_pipeline', arguments: { name: 'ask', inputs: { question: 'Which port does the web UI listen on by default?' } } });
  expect(JSON.parse((run.content as TextContent)[0].text).answer).toContain('8470');
  const bad = await client.callTool({ name: 'run_pipeline', arguments: { name: 'ask', inputs: {} } });
  expect(bad.isError).toBe(true);
  expect((bad.content as TextContent)[0].text).toContain('question');

  const { resources } = await client.listResources();
  const page = resources.find((r) => r.name === 'en/guide/fetch-retries.md');
  expect(page).toBeDefined();
  expect(resources.length).toBeGreaterThan(40);
  const read = await client.readResource({ uri: page!.uri });
  expect((read.contents[0] as { text: string }).text).toContain('fetch.retry');
}

describe('MCP with the SDK\'s own client', () => {
  it('over streamable HTTP at /mcp (with a key)', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${KEY}` } } }));
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
  }, 90_000);

  it('refuses /mcp without the key', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)))).rejects.toThrow(/401|api key/i);
  });

  it('over stdio (loom mcp)', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--store', store.dir], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOOM_MODEL: '' }, stderr: 'pipe' });
    await client.connect(transport);
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
  }, 120_000);
});
