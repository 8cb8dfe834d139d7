import { describe, expect, it } from 'vitest';
import { effectiveModels, parseModelFlag, resolveModel } from './resolve.js';
import { pipelineWithModels } from '../testing/pipelines.js';
import { LoomError } from '../errors.js';

describe('parseModelFlag', () => {
  it.each([
    ['openai:gpt-4o-mini', { provider: 'openai', model: 'gpt-4o-mini' }],
    ['gpt-4o', { provider: 'openai', model: 'gpt-4o' }],
    ['ollama:qwen2.5:7b', { provider: 'openai', model: 'qwen2.5:7b', base_url: 'http://127.0.0.1:11434/v1' }],
    ['lmstudio:phi-4', { provider: 'openai', model: 'phi-4', base_url: 'http://127.0.0.1:1234/v1' }],
    ['vllm:Qwen/Qwen2.5-7B-Instruct', { provider: 'openai', model: 'Qwen/Qwen2.5-7B-Instruct', base_url: 'http://127.0.0.1:8000/v1' }],
  ])('%s', (flag, expected) => {
    expect(parseModelFlag(flag)).toEqual(expected);
  });

  it.each(['anthropic:claude', 'openai:', 'llama3.1:8b'])('refuses %s with a hint', (flag) => {
    try {
      parseModelFlag(flag);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LoomError);
      expect((error as LoomError).code).toBe('CONFIG_INVALID');
      expect((error as LoomError).hint).toMatch(/openai:/);
    }
  });
});

describe('effectiveModels', () => {
  const pipeline = pipelineWithModels({ default: { provider: 'openai', model: 'llama3', base_url: 'http://127.0.0.1:11434/v1', temperature: 0 } });

  it('--model replaces where default connects but keeps its sampling settings', () => {
    const models = effectiveModels(pipeline, { models: { default: parseModelFlag('openai:gpt-4o-mini') }, env: {} });
    expect(models.default).toEqual({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0 });
  });

  it('LOOM_MODEL sets default when no override is given, and an explicit override wins', () => {
    expect(effectiveModels(pipelineWithModels({}), { env: { LOOM_MODEL: 'ollama:llama3.1' } }).default.model).toBe('llama3.1');
    const both = effectiveModels(pipelineWithModels({}), { env: { LOOM_MODEL: 'ollama:x' }, models: { default: { provider: 'openai', model: 'y' } } });
    expect(both.default.model).toBe('y');
  });

  it('is empty (offline) with nothing configured, and counts chat models passed in', () => {
    expect(effectiveModels(pipelineWithModels({}), { env: {} })).toEqual({});
    const fakeChat = { model: 'my-model', invoke: async () => ({ content: 'x' }) };
    expect(effectiveModels(pipelineWithModels({}), { env: {}, chatModels: { default: fakeChat } }).default).toEqual({ provider: 'langchain', model: 'my-model' });
  });
});

describe('resolveModel', () => {
  it('returns undefined offline and throws for a named model that does not exist', async () => {
    const offline = pipelineWithModels({});
    expect(await resolveModel(undefined, offline, { env: {} })).toBeUndefined();
    const configured = pipelineWithModels({ default: { provider: 'openai', model: 'm' } });
    await expect(resolveModel('fast', configured, { env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('configured: default') });
  });

  it('refuses an unknown provider with a hint', async () => {
    const p = pipelineWithModels({ default: { provider: 'anthropic', model: 'claude' } });
    await expect(resolveModel(undefined, p, { env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID', hint: expect.stringContaining('base_url') });
  });

  it('shares one handle per run and name', async () => {
    const p = pipelineWithModels({ default: { provider: 'openai', model: 'gpt-4o-mini', base_url: 'http://127.0.0.1:9/v1' } });
    const options = { env: {} };
    const a = await resolveModel(undefined, p, options);
    const b = await resolveModel('default', p, options);
    expect(a).toBe(b);
    expect(a?.model).toBe('gpt-4o-mini');
    expect(a?.contextTokens).toBe(128_000);
  });

  it('wraps a LangChain chat model passed in (FakeListChatModel)', async () => {
    const { FakeListChatModel } = await import('@langchain/core/utils/testing');
    const chat = new FakeListChatModel({ responses: ['first answer', 'second'] });
    const handle = await resolveModel(undefined, pipelineWithModels({}), { env: {}, chatModels: { default: chat } });
    const result = await handle!.call({ messages: [{ role: 'user', content: 'hello' }] });
    expect(result.text).toBe('first answer');
    expect(result.usage.estimated).toBe(true);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.model).toMatch(/^langchain:/);
    const deltas: string[] = [];
    const streamed = await handle!.call({ messages: [{ role: 'user', content: 'again' }], onToken: (d) => deltas.push(d) });
    expect(streamed.text).toBe('second');
    expect(deltas.join('')).toBe('second');
  });
});
