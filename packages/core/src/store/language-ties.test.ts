import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../ingest/index.js';
import { openStore, type LoomStore } from './index.js';

// three English pages and one Chinese page about provide/inject, as in the Vue docs
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/bilingual-api', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'loom-language-ties-'));
let store: LoomStore;

beforeAll(async () => {
  await ingest({ paths: [FIXTURE], store: tmp });
  store = await openStore(tmp);
});
afterAll(() => {
  store.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("a question's language wins ties against a shared identifier", () => {
  const question = 'provide 和 inject 怎么用？';

  it('ranks the Chinese page first for a Chinese question naming an API', async () => {
    const hits = await store.search(question, { k: 5 });
    expect(hits[0].source).toBe('zh/provide-inject.md');
    // without the same-language list the English pages, which repeat the names, come first
    store.tuning = { sameLanguageWeight: 0 };
    const before = await store.search(question, { k: 5 });
    store.tuning = {};
    expect(before[0].lang).toBe('en');
  });

  it('leaves English questions to the English pages', async () => {
    const hits = await store.search('How do I use provide and inject?', { k: 3 });
    expect(hits[0].lang).toBe('en');
  });
});
