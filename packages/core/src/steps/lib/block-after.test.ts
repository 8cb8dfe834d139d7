import { describe, expect, it } from 'vitest';
import { blockAfter } from './block-after.js';

const passage = [
  'Retries are configured in the `fetch.retry` section of `tidewren.yaml`:',
  '',
  '```yaml',
  'fetch:',
  '  retry:',
  '    max_attempts: 4',
  '```',
  '',
  'Each delay doubles.',
  '重试在 `fetch.retry` 中配置：',
  '```yaml',
  'fetch: {}',
  '```',
  'The end of this chunk shows:',
  '```sh',
  'tidewren fetch --now',
].join('\n');

describe('blockAfter', () => {
  it('returns the block that follows a sentence ending with a colon', () => {
    expect(blockAfter(passage, 'Retries are configured in the fetch.retry section of tidewren.yaml:')).toBe('```yaml\nfetch:\n  retry:\n    max_attempts: 4\n```');
    expect(blockAfter(passage, '重试在 `fetch.retry` 中配置：')).toBe('```yaml\nfetch: {}\n```');
  });
  it('returns nothing for other sentences and for a block cut off by the chunk', () => {
    expect(blockAfter(passage, 'Each delay doubles.')).toBeUndefined();
    expect(blockAfter(passage, 'The end of this chunk shows:')).toBeUndefined();
    expect(blockAfter(passage, 'A sentence that is not there:')).toBeUndefined();
  });
});
