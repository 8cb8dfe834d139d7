import { resolve } from 'node:path';
import { IngestRun } from '../../ingest/run.js';
import { walk } from '../../ingest/walk.js';
import { globFilter, type SourceRun } from '../context.js';
import type { PathSource } from '../schema.js';

/** A local file or folder: exactly what `loom ingest --prune` does, with the source's provenance. */
export async function syncPath(run: SourceRun<PathSource>): Promise<void> {
  const abs = resolve(run.dir, run.source.path);
  const walked = walk([abs]);
  const keep = globFilter(run.source);
  walked.files = walked.files.filter((f) => keep(f.name));
  const ingest = new IngestRun(run.store, walked, {
    paths: [abs],
    store: run.store.dir,
    maxFileBytes: run.source.max_page_mb * 1048576,
    meta: { source_name: run.source.name, source_kind: 'path', kind: 'doc' },
    onProgress: (p) => run.progress(p.done, p.total, p.file),
    onWarning: (message) => run.warn(abs, message),
    signal: run.signal,
  });
  await ingest.files();
  await ingest.prune();
  const s = ingest.finish(0);
  Object.assign(run.counts, {
    fetched: s.files - s.skipped.length,
    added: s.added,
    updated: s.updated,
    unchanged: s.unchanged + s.renamed,
    removed: s.removed,
    skipped: s.skipped.length,
    embedded: s.embedded,
  });
}
