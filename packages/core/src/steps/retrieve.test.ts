import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../ingest/index.js';
import { loadPipeline } from '../spec/load.js';
import { runPipeline } from '../engine/run.js';
import { formatHits } from './retrieve.js';
import './index.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/docs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'loom-retrieve-'));

beforeAll(async () => {
  await ingest({ paths: [FIXTURE], store: join(tmp, 'store') });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PIPELINE = `
version: 1
name: find
inputs:
  question: { type: string, required: true }
store: store
steps:
  - id: hits
    retrieve: { query: "{{ inputs.question }}", k: 2, lang: zh }
  - id: english
    retrieve: { query: "{{ inputs.question }}", k: 1, filter: { source: "en/**" }, mode: lexical }
outputs:
  hits: "{{ steps.hits.hits }}"
  text: "{{ steps.hits.text }}"
  english: "{{ steps.english.hits }}"
`;

describe('retrieve step', () => {
  it('searches the pipeline store through the same code as loom search, and numbers hits for prompts', async () => {
    const file = join(tmp, 'find.yaml');
    writeFileSync(file, PIPELINE);
    const pipeline = await loadPipeline(file);
    const result = await runPipeline(pipeline, { question: '失败的任务会重试几次？' });
    expect(result.status).toBe('ok');
    const hits = result.outputs.hits as { source: string; heading: string; lang: string; text: string }[];
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatchObject({ source: 'zh/guide/retries.md', lang: 'zh' });
    expect(hits.every((h) => h.lang === 'zh')).toBe(true);
    const text = result.outputs.text as string;
    expect(text.startsWith(`[1] (zh/guide/retries.md › ${hits[0].heading})\n${hits[0].text.trim()}\n\n[2] (`)).toBe(true);
    expect((result.outputs.english as { source: string }[])[0].source).toMatch(/^en\//);
  });

  it('reports a missing store as STORE_NOT_FOUND on the step', async () => {
    const pipeline = await loadPipeline(PIPELINE.replace('store: store', 'store: nowhere'), { baseDir: tmp });
    const result = await runPipeline(pipeline, { question: 'x' });
    expect(result.status).toBe('failed');
    expect(result.steps.hits.error?.code).toBe('STORE_NOT_FOUND');
  });

  it('formats hits without a heading as (source)', () => {
    expect(formatHits([{ id: 'a', source: 'notes.txt', heading: '', lang: 'en', score: 1, text: ' body \n' }])).toBe('[1] (notes.txt)\nbody');
  });
});
