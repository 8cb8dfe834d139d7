import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LoomError } from '../errors.js';

/** USD per 1M tokens. */
export interface Price { input: number; output: number }

// List prices of OpenAI's API (standard tier, USD per 1M tokens). Dated model names
// (gpt-4o-mini-2024-07-18) match by the longest known prefix.
const BUILT_IN: Record<string, Price> = {
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'o1': { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  'o3': { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
};

const prices = new Map<string, Price>(Object.entries(BUILT_IN));
const loadedFiles = new Set<string>();

/** Adds or overrides prices (USD per 1M tokens) by model name, e.g. for a hosted open model. */
export function registerPrices(table: Record<string, Price>): void {
  for (const [model, price] of Object.entries(table)) {
    if (!price || !Number.isFinite(price.input) || !Number.isFinite(price.output ?? 0)) {
      throw new LoomError('CONFIG_INVALID', `price for "${model}" needs numbers "input" and "output" (USD per 1M tokens)`);
    }
    prices.set(model.toLowerCase(), { input: price.input, output: price.output ?? 0 });
  }
}

/** Loads `<storeDir>/prices.yaml` (or prices.json) once, when present: `model: {input, output}`. */
export function loadPricesFile(storeDir: string | undefined): void {
  if (!storeDir) return;
  for (const name of ['prices.yaml', 'prices.yml', 'prices.json']) {
    const file = join(storeDir, name);
    if (loadedFiles.has(file) || !existsSync(file)) continue;
    loadedFiles.add(file);
    let table: unknown;
    try {
      table = parseYaml(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new LoomError('CONFIG_INVALID', `${file}: not valid YAML/JSON: ${(error as Error).message}`, { file, cause: error });
    }
    if (!table || typeof table !== 'object') throw new LoomError('CONFIG_INVALID', `${file}: expected a map of model -> {input, output}`, { file });
    try {
      registerPrices(table as Record<string, Price>);
    } catch (error) {
      throw new LoomError('CONFIG_INVALID', `${file}: ${(error as Error).message}`, { file, cause: error });
    }
  }
}

/** The price of a model name, by exact name then longest prefix; undefined when unknown. */
export function priceOf(model: string): Price | undefined {
  const m = model.toLowerCase();
  const exact = prices.get(m);
  if (exact) return exact;
  let best: [string, Price] | undefined;
  for (const entry of prices) {
    if (m.startsWith(entry[0]) && /^[-:@.]/.test(m.slice(entry[0].length)) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/** Servers on this machine or a private network cost nothing per token. */
export function isLocalServer(baseUrl: string | undefined): boolean {
  if (!baseUrl) return false;
  let host: string;
  try { host = new URL(baseUrl).hostname; } catch { return false; }
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host) || /^10\./.test(host)
    || /^192\.168\./.test(host) || /^172\.(1[6-9]|2\d|3[01])\./.test(host) || host.endsWith('.local') || host === '0.0.0.0';
}

/** USD for one call: by `own` price (a model's `price:` setting), else 0 on a local server, else the table; undefined when unknown. */
export function costOf(model: string, baseUrl: string | undefined, promptTokens: number, completionTokens: number, own?: Price): number | undefined {
  if (!own && isLocalServer(baseUrl)) return 0;
  const price = own ?? priceOf(model);
  if (!price) return undefined;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
