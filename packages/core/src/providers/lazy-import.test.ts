import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs the built package (dist, what users import) in a fresh node process with a module
// resolve hook that logs every module URL. @langchain/openai costs ~0.5 s to load, so importing
// @promptloom/core, resolving a model and building a handle must not load it; the first call must.
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist');

const HOOK = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.LOOM_MODULE_LOG, result.url + '\\n');
  return result;
}`;

const DRIVER = (distUrl: string) => `
import { register } from 'node:module';
import { readFileSync, appendFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
const mark = (label) => appendFileSync(process.env.LOOM_MODULE_LOG, '--- ' + label + '\\n');
const core = await import('${distUrl}/index.js');
const { startFakeOpenAI, pipelineWithModels } = await import('${distUrl}/testing/index.js');
const fake = await startFakeOpenAI();
const pipeline = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', base_url: fake.url } });
const handle = await core.resolveModel(undefined, pipeline, { env: {}, cache: false });
mark('resolved');
const result = await handle.call({ messages: [{ role: 'user', content: 'hi' }] });
mark('called ' + result.text);
await fake.close();
`;

describe('lazy provider import', () => {
  it('loads @langchain/openai only on the first model call', () => {
    expect(existsSync(join(dist, 'index.js')), 'build first: pnpm exec tsc -b').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'loom-lazy-'));
    try {
      const log = join(dir, 'modules.log');
      writeFileSync(log, '');
      const driver = join(dir, 'driver.mjs');
      writeFileSync(driver, DRIVER(pathToFileURL(dist).href));
      const run = spawnSync(process.execPath, [driver], { env: { ...process.env, LOOM_MODULE_LOG: log }, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).not.toMatch(/Error/);
      expect(run.status).toBe(0);
      const text = readFileSync(log, 'utf8');
      const [beforeCall, afterCall] = text.split('--- resolved\n');
      expect(beforeCall).toContain('/dist/providers/resolve.js');
      expect(beforeCall).not.toMatch(/@langchain[+/]openai/);
      expect(afterCall).toMatch(/@langchain[+/]openai/);
      expect(afterCall).toContain('--- called Fake answer: hi');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
