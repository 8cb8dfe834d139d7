import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '@promptloom/core';
import { startServer, type RunningServer, type ServeOptions } from '../src/index.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DOCS = join(REPO, 'examples/community-docs');

/** A store of the bundled community docs in a temporary folder, and its removal. */
export async function docsStore(): Promise<{ dir: string; remove: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'loom-serve-'));
  const dir = join(root, 'store');
  await ingest({ paths: [DOCS], store: dir, embedder: 'local' });
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A server on a free loopback port that records what it would log. */
export async function serveOn(store: string, options: Partial<ServeOptions> = {}): Promise<RunningServer & { logs: string[] }> {
  const logs: string[] = [];
  const server = await startServer({ store, port: 0, env: {}, log: (line) => logs.push(line), ...options });
  return Object.assign(server, { logs });
}

/**
 * Asks one question so the first test does not pay for loading the language models (seconds on a
 * loaded machine; beforeAll has the longer hook timeout).
 */
export async function warmUp(url: string): Promise<void> {
  await postJson(`${url}/v1/chat/completions`, { model: 'ask', messages: [{ role: 'user', content: 'How do I configure fetch retries?' }] });
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, headers: res.headers, json };
}
