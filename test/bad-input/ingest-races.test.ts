import { appendFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../packages/core/src/ingest/index.js';
import { openStore } from '../../packages/core/src/store/index.js';

/*
 * Files that vanish or change while an ingest runs: the walk has listed them, then they go away
 * or are rewritten before (or while) they are read. The ingest must skip the vanished ones with
 * a warning naming them, index what it actually read, leave a store that checks clean, and the
 * next ingest must catch up with the final state.
 */
let dir: string;
let docs: string;

const text = (i: number, v: string) => `# Page ${i}\n\nVersion ${v} of page ${i}. It talks about retries, timeouts and the vector index.\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'loom-ingest-races-'));
  docs = join(dir, 'docs');
  mkdirSync(docs);
  for (let i = 0; i < 40; i++) writeFileSync(join(docs, `p${String(i).padStart(2, '0')}.md`), text(i, 'one'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files that vanish or change during an ingest', () => {
  it('skips what vanished, indexes what it read, and the next ingest converges', async () => {
    const store = join(dir, 'st');
    const warnings: string[] = [];
    const touched = new Set<string>();
    const result = await ingest({
      paths: [docs], store,
      onWarning: (w) => warnings.push(w),
      onProgress: (p) => {
        // after each file: delete the file two ahead, rewrite the one three ahead, grow the one four ahead
        if (p.phase !== 'ingest' || p.file === undefined) return;
        const i = Number(p.file.slice(1, 3));
        const name = (n: number) => join(docs, `p${String(n).padStart(2, '0')}.md`);
        if (i % 10 === 0 && i + 2 < 40 && !touched.has(`d${i + 2}`)) { touched.add(`d${i + 2}`); unlinkSync(name(i + 2)); }
        if (i % 10 === 1 && i + 3 < 40) writeFileSync(name(i + 3), text(i + 3, 'two, rewritten while the ingest ran'));
        if (i % 10 === 2 && i + 4 < 40) appendFileSync(name(i + 4), '\nA line appended while the ingest ran.\n');
      },
    });
    const vanished = [...touched].map((t) => `p${t.slice(1).padStart(2, '0')}.md`);
    expect(vanished).toHaveLength(4);
    for (const f of vanished) expect(warnings.join('\n')).toContain(f);
    expect(result.skipped.map((s) => s.file).sort()).toEqual(vanished.sort());
    expect(result.added).toBe(36);

    const s = await openStore(store);
    try {
      expect((await s.check()).ok, (await s.check()).problems.join('\n')).toBe(true);
      // the rewritten pages are stored as they were read: the new version
      const hits = await s.search('Version two rewritten while the ingest ran', { k: 10, mode: 'lexical' });
      expect(hits.map((h) => h.source)).toContain('p04.md');
    } finally {
      s.close();
    }

    // the next ingest, with nothing changing under it, converges: vanished files pruned, nothing re-embedded needlessly
    const again = await ingest({ paths: [docs], store, prune: true });
    expect(again).toMatchObject({ added: 0, removed: 0, skipped: [] });
    const third = await ingest({ paths: [docs], store, prune: true });
    expect(third).toMatchObject({ added: 0, updated: 0, removed: 0, embedded: 0 });
    const final = await openStore(store);
    try {
      expect((await final.check()).ok).toBe(true);
      expect((await final.info()).sources).toBe(36);
    } finally {
      final.close();
    }
  });
});
