import type { RunOptions, StepContext } from '../../engine/types.js';
import type { ModelHandle } from '../../providers/types.js';
import type { LoadedPipeline } from '../../spec/types.js';
import { resolveModel } from '../../providers/resolve.js';

/*
 * A StepContext for calling a step's run() directly in tests (the engine builds the real one),
 * and a real ModelHandle on an OpenAI-compatible server (the test's fake one), so the real
 * @langchain/openai client is what the step talks to.
 */

export function bareStepContext(over: { model?: ModelHandle; onToken?: (d: string) => void; signal?: AbortSignal; dir?: string; stepId?: string } = {}): { ctx: StepContext; warnings: string[] } {
  const warnings: string[] = [];
  const pipeline = testPipeline(over.dir);
  const stepId = over.stepId ?? 'step';
  const ctx: StepContext = {
    stepId,
    step: { id: stepId, kind: 'test', params: {} },
    pipeline,
    signal: over.signal ?? new AbortController().signal,
    model: over.model,
    openStore: () => Promise.reject(new Error('no store in this test')),
    warn: (m) => warnings.push(m),
    runChild: () => Promise.reject(new Error('no child pipelines in this test')),
    onToken: over.onToken,
    options: {},
  };
  return { ctx, warnings };
}

export function testPipeline(dir = process.cwd()): LoadedPipeline {
  return { spec: { version: 1, name: 'test', inputs: {}, models: {}, steps: [], outputs: {}, tests: [] }, dir, source: '', warnings: [] };
}

/** A handle on `baseUrl` through the real provider code, with the call cache off. */
export async function openAIHandleFor(baseUrl: string, extra: { context_tokens?: number; model?: string } = {}): Promise<ModelHandle> {
  const options: RunOptions = {
    models: { default: { provider: 'openai', model: extra.model ?? 'fake-model', base_url: baseUrl, ...(extra.context_tokens ? { context_tokens: extra.context_tokens } : {}) } },
    cache: false,
    env: { OPENAI_API_KEY: 'sk-test-not-a-secret-0000' },
  };
  const handle = await resolveModel(undefined, testPipeline(), options);
  if (!handle) throw new Error('no handle');
  return handle;
}

/** Every chunk of examples/community-docs as a retrieval hit (README left out, as .loomignore does). */
export async function exampleDocHits(root = new URL('../../../../../examples/community-docs/', import.meta.url)): Promise<import('../../store/types.js').Hit[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const { chunkMarkdown } = await import('../../text/chunk.js');
  const base = fileURLToPath(root);
  const files = (await readdir(base, { recursive: true })).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
  const hits: import('../../store/types.js').Hit[] = [];
  for (const file of files) {
    const source = file.split('\\').join('/');
    const doc = chunkMarkdown(await readFile(base + file, 'utf8'));
    doc.chunks.forEach((c, i) => hits.push({
      id: `${source}#${i}`, source, heading: c.heading.join(' > '), lang: source.startsWith('zh/') ? 'zh' : 'en', score: 1, text: c.text,
    }));
  }
  return hits;
}
