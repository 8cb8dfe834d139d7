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
    expect(blockAfter(passage, 'Retries are configured in the fetch.retry section of tidewren.yaml:')?.text).toBe('```yaml\nfetch:\n  retry:\n    max_attempts: 4\n```');
    expect(blockAfter(passage, '重试在 `fetch.retry` 中配置：')?.text).toBe('```yaml\nfetch: {}\n```');
  });
  it('returns nothing for other sentences and for a block cut off by the chunk', () => {
    expect(blockAfter(passage, 'Each delay doubles.')).toBeUndefined();
    expect(blockAfter(passage, 'The end of this chunk shows:')).toBeUndefined();
    expect(blockAfter(passage, 'A sentence that is not there:')).toBeUndefined();
  });
});

describe('blockAfter: tables and lists', () => {
  const doc = [
    'The option `search.cjk_tokenizer` chooses it:',
    '',
    '- `bigram` (the default) indexes every pair of characters.',
    '  It needs no dictionary.',
    '',
    '- `jieba` segments text into words.',
    '',
    'Reindex after changing it.',
    'Configuration changes in 2.0:',
    '| 1.x | 2.x |',
    '| --- | --- |',
    '| `refresh_interval` | `fetch.interval` |',
    '',
    'The end.',
  ].join('\n');

  it('returns the list a sentence introduces, with continuation lines and the blank lines between items', () => {
    expect(blockAfter(doc, 'The option `search.cjk_tokenizer` chooses it:')?.text).toBe([
      '- `bigram` (the default) indexes every pair of characters.',
      '  It needs no dictionary.',
      '',
      '- `jieba` segments text into words.',
    ].join('\n'));
  });

  it('returns the table a sentence introduces', () => {
    expect(blockAfter(doc, 'Configuration changes in 2.0:')?.text).toBe('| 1.x | 2.x |\n| --- | --- |\n| `refresh_interval` | `fetch.interval` |');
  });
});
