import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { docsPage, startFakeSite, type FakeSite } from '../testing/fake-site.js';
import { SyncFixture } from './sync-test-helpers.js';

const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
let site: FakeSite;
let fx: SyncFixture;
afterEach(async () => {
  await site?.close();
  fx?.remove();
});

const N = 200;

describe('a sync killed with kill -9', { timeout: 300_000 }, () => {
  it('resumes on the next run: committed pages cost a 304, nothing is duplicated', async () => {
    expect(existsSync(dist), 'build core first (corepack pnpm build)').toBe(true);
    const pages: Record<string, string> = {};
    for (let i = 0; i < N; i++) pages[`/docs/p${i}.html`] = docsPage(`Page ${i}`, `Page ${i} explains setting number ${i} of the reader, with its default and its range.`);
    site = await startFakeSite({ pages });
    fx = new SyncFixture();
    fx.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n    concurrency: 2\n`);
    const script = join(fx.dir, 'run.mjs');
    writeFileSync(script, `import { syncSources } from ${JSON.stringify(dist)};\nawait syncSources({ sources: 'loom.sources.yaml', cwd: ${JSON.stringify(fx.dir)} });\n`);

    // the child is killed when the server sees its 170th page request: mid-sync, after a committed batch
    const child = spawn(process.execPath, [script], { stdio: 'ignore' });
    let served = 0;
    site.intercept((req) => {
      if (req.path.startsWith('/docs/') && ++served === 170) child.kill('SIGKILL');
      return false;
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    expect(exit).toBe('SIGKILL');

    site.requests.length = 0;
    const resumed = await fx.sync();
    expect(resumed.errors).toBe(0);
    expect(resumed.notModified).toBeGreaterThan(0); // pages committed before the kill: a 304 each
    expect(resumed.fetched).toBeLessThan(N);
    expect(resumed.fetched + resumed.notModified).toBe(N);
    const rows = await fx.rows();
    const docs = new Set(rows.map((r) => String(r.meta.url)));
    expect(docs.size).toBe(N);

    // the same store as one uninterrupted sync: as many chunks, no duplicates
    const fresh = new SyncFixture();
    try {
      fresh.writeSources(`  - name: site\n    sitemap: ${site.sitemapUrl}\n    rate: 0\n`);
      await fresh.sync();
      expect(rows.length).toBe((await fresh.rows()).length);
    } finally {
      fresh.remove();
    }
  });
});
