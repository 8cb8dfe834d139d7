import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoomError } from '../errors.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/index.js';
import { createEmbedder, localEmbedder } from './index.js';
import { LocalEmbeddings } from './local.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof LoomError ? error.code : `not a LoomError: ${String(error)}`;
  }
}

describe('createEmbedder', () => {
  it('defaults to the local embedder and accepts local:<dims>', async () => {
    for (const spec of [undefined, '', 'local']) {
      const handle = await createEmbedder(spec);
      expect(handle).toMatchObject({ id: 'local:hash-v1:512', dimensions: 512 });
      expect(handle.embeddings).toBeInstanceOf(LocalEmbeddings);
    }
    expect((await createEmbedder('local:768')).id).toBe('local:hash-v1:768');
  });

  it('embeds many texts in order, as Float32Arrays equal to embedSync', async () => {
    const handle = localEmbedder();
    const texts = Array.from({ length: 600 }, (_, i) => (i % 2 ? `文档 ${i}` : `doc ${i}`));
    const vectors = await handle.embedMany(texts);
    expect(vectors).toHaveLength(600);
    expect(Array.from(vectors[301])).toEqual(Array.from(new LocalEmbeddings().embedSync(texts[301])));
  });

  it('stops on an aborted signal with RUN_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(localEmbedder().embedMany(['a'], controller.signal))).toBe('RUN_ABORTED');
  });

  it.each(['local:abc', 'local:4', 'nope', 'openai:', 'transformers:'])('refuses %s with CONFIG_INVALID', async (spec) => {
    expect(await codeOf(createEmbedder(spec))).toBe('CONFIG_INVALID');
  });

  it('explains how to install @huggingface/transformers when it is missing', async () => {
    const error = await createEmbedder('transformers:./models/e5-small').catch((e: unknown) => e as LoomError);
    expect(error).toBeInstanceOf(LoomError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(`${error.message} ${error.hint}`).toMatch(/pnpm add @huggingface\/transformers/);
  });

  describe('openai:<model> (delegates to embeddings/openai.ts)', () => {
    let fake: FakeOpenAI;
    beforeAll(async () => { fake = await startFakeOpenAI({ embeddingDimensions: 16 }); });
    afterAll(async () => { await fake.close(); });

    it('embeds through an OpenAI-compatible server', async () => {
      const handle = await createEmbedder('openai:text-embedding-3-small@16', { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-0000000000' });
      expect(handle).toMatchObject({ id: 'openai:text-embedding-3-small:16', dimensions: 16 });
      const [v] = await handle.embedMany(['组件']);
      expect(v).toHaveLength(16);
      expect(fake.requestsTo('embeddings').length).toBeGreaterThan(0);
    });
  });
});
