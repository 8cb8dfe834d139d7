import { describe, expect, it } from 'vitest';
import { checkKeyHost } from '../../packages/core/src/providers/openai.js';
import { resolveModel } from '../../packages/core/src/providers/resolve.js';
import { pipelineWithModels } from '../../packages/core/src/testing/pipelines.js';

// A pipeline file chooses its server; it must not choose where your keys go. (The end-to-end
// cases are secret-to-foreign-host and secret-default-key-to-foreign-host in test/bad-input.)
const env = { OPENAI_API_KEY: 'sk-keyhost-0123456789', OPENAI_BASE_URL: 'https://llm.example.com/v1' };
const check = (url: string, extra: Record<string, string> = {}) => () => checkKeyHost('default', url, 'OPENAI_API_KEY', { ...env, ...extra }, 'openai:m');

describe('which hosts a pipeline file may send a key to', () => {
  it('this machine, OpenAI and the host of OPENAI_BASE_URL', () => {
    for (const url of ['http://127.0.0.1:11434/v1', 'http://127.0.0.2/v1', 'http://localhost:8000/v1', 'http://[::1]:8080/v1', 'https://api.openai.com/v1', 'https://llm.example.com/other/v1']) {
      expect(check(url), url).not.toThrow();
    }
  });

  it('not another host, even one on the LAN, unless listed in LOOM_TRUSTED_HOSTS', () => {
    for (const url of ['https://attacker.example/v1', 'http://192.168.1.20:8000/v1', 'https://api.openai.com.attacker.example/v1', 'https://example.com@attacker.example/v1']) {
      expect(check(url), url).toThrow(/would send the key in OPENAI_API_KEY/);
    }
    expect(check('http://gpu-box:8000/v1', { LOOM_TRUSTED_HOSTS: 'other, gpu-box' })).not.toThrow();
    expect(check('http://gpu-box:8000/v1', { LOOM_TRUSTED_HOSTS: 'gpu-box.lan' })).toThrow(/to gpu-box, a server it names itself/);
  });

  it('applies to a base_url from the pipeline file, not to one the calling code or --model gives', async () => {
    const pipeline = pipelineWithModels({ default: { provider: 'openai', model: 'm', base_url: 'https://attacker.example/v1' } });
    await expect(resolveModel(undefined, pipeline, { env })).rejects.toMatchObject({ code: 'CONFIG_INVALID', model: 'openai:m' });
    // the library user passing their own server is trusted
    const own = await resolveModel(undefined, pipeline, { env, models: { default: { provider: 'openai', model: 'm', base_url: 'https://mine.example/v1' } } });
    expect(own?.model).toBe('m');
    // --model replaces where it connects: OPENAI_BASE_URL, the user's own setting
    const flag = await resolveModel(undefined, pipeline, { env, models: { default: { provider: 'openai', model: 'other' } } });
    expect(flag?.model).toBe('other');
    // no key in the environment: nothing secret to send, the file's server is used as written
    const keyless = await resolveModel(undefined, pipeline, { env: { HOME: '/root' } });
    expect(keyless?.model).toBe('m');
  });
});
