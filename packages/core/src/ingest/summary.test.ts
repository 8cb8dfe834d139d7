import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'loom-ingest-summary-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the ingest summary adds up', () => {
  it('reports a page with nothing to index (front matter only) as skipped, with the reason', async () => {
    const docs = join(tmp, 'docs');
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, 'page.md'), '# Page\n\nSome text to index.\n');
    writeFileSync(join(docs, 'index.md'), '---\nlayout: home\nhero:\n  name: Vue.js\n---\n');
    writeFileSync(join(docs, 'layout.md'), '<script setup>\nimport Home from "./Home.vue"\n</script>\n\n<Home />\n');
    const warnings: string[] = [];
    const s = await ingest({ paths: [docs], store: join(tmp, 'store'), onWarning: (w) => warnings.push(w) });
    expect(s.files).toBe(3);
    expect(s.added).toBe(1);
    expect(s.skipped.map((k) => k.file).sort()).toEqual(['index.md', 'layout.md']);
    expect(s.skipped[0].reason).toMatch(/no text to index/);
    expect(s.added + s.updated + s.unchanged + s.skipped.length).toBe(s.files);
    expect(warnings.join('\n')).toMatch(/skipped index\.md: no text to index/);
  });
});
