import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { ingest } from '@promptloom/core';
import { DOCS, serveOn, warmUp } from './helpers.js';
import type { RunningServer } from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(dirname(fileURLToPath(import.meta.url)), '.out');
const KEY = 'page-test-key-0123456789';
let root: string;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  root = mkdtempSync(join(tmpdir(), 'loom-serve-page-'));
  // one page with an address, so its citation is a link; the bundled docs have none
  const extra = join(root, 'site');
  mkdirSync(extra);
  writeFileSync(join(extra, 'importer.md'), '---\ntitle: Quillon importer\nurl: https://docs.example.org/importer\n---\n\n# Quillon importer\n\nThe Quillon importer reads OPML files. Run `tidewren import --opml FILE` to import your subscriptions with the Quillon importer.\n');
  const store = join(root, 'store');
  // two ingests, so each folder's pages are named relative to their own folder
  await ingest({ paths: [DOCS], store, embedder: 'local' });
  await ingest({ paths: [extra], store, embedder: 'local' });
  server = await serveOn(store, { apiKeys: [KEY] });
  await warmUp(server.url).catch(() => undefined);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(OUT, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the page at /', () => {
  it('asks for the key, keeps it, and streams a cited answer with links', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.locator('#key-form').waitFor({ state: 'visible' });
    await page.fill('#key', KEY);
    await page.click('#key-form button[type=submit]');
    await page.locator('#model option[value=ask]').waitFor({ state: 'attached' });
    expect(await page.evaluate(() => localStorage.getItem('loom-api-key'))).toBe(KEY);

    await page.fill('#question', 'How do I import subscriptions with the Quillon importer?');
    await page.click('#ask');
    const turn = page.locator('.turn.done').first();
    await turn.waitFor({ timeout: 60_000 });
    expect(await turn.locator('.answer').textContent()).toContain('tidewren import --opml');
    const link = turn.locator('.citations a').first();
    expect(await link.getAttribute('href')).toBe('https://docs.example.org/importer');

    await page.fill('#question', 'How do I configure retries for feeds that fail to fetch?');
    await page.click('#ask');
    await page.locator('.turn.done').nth(1).waitFor({ timeout: 60_000 });
    const latest = page.locator('.turn').first();
    expect(await latest.locator('.answer').textContent()).toContain('fetch.retry');
    // no address in its front matter: the path and heading, as text
    expect(await latest.locator('.citations li span').first().textContent()).toContain('fetch-retries.md');
    await page.screenshot({ path: join(OUT, 'page.png'), fullPage: true });

    // a reload keeps the key: no prompt
    await page.reload();
    await page.locator('#model option[value=ask]').waitFor({ state: 'attached' });
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 180_000);

  it('answers a Chinese question in Chinese, and says when the docs do not answer', async () => {
    const page = await browser.newPage();
    await page.addInitScript((key) => localStorage.setItem('loom-api-key', key), KEY);
    await page.goto(`${server.url}/`);
    await page.locator('#model option[value=ask]').waitFor({ state: 'attached' });
    await page.fill('#question', 'Webhook 请求的签名怎么验证？');
    await page.click('#ask');
    const turn = page.locator('.turn.done').first();
    await turn.waitFor({ timeout: 60_000 });
    expect(await turn.locator('.answer').getAttribute('lang')).toBe('zh');
    expect(await turn.locator('.answer').textContent()).toMatch(/[\u4e00-\u9fff]/);
    await page.fill('#question', 'What is the capital of France?');
    await page.click('#ask');
    await page.locator('.turn.done').nth(1).waitFor({ timeout: 60_000 });
    expect(await page.locator('.turn').first().locator('.note').textContent()).toContain('do not answer');
    await page.close();
  }, 180_000);
});
