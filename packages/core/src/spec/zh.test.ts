import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { validatePipeline } from './load.js';
import { formatDiagnostics } from './diagnostics.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/spec/', import.meta.url));

describe('Chinese pipelines', () => {
  it('a pipeline with Chinese descriptions, prompts, outputs and tests validates clean', async () => {
    const r = await validatePipeline(FIXTURES + 'valid-zh.yaml');
    expect(r.diagnostics).toEqual([]);
    const spec = r.pipeline!.spec;
    expect(spec.description).toBe('用社区文档回答问题，并附上引用来源');
    expect(spec.steps.find((s) => s.id === 'polish')!.params.template).toContain('请用简洁的中文改写');
    expect(Object.keys(spec.outputs)).toEqual(['回答', '引用']);
    expect(spec.tests[0].name).toBe('重试配置');
  });

  it('positions and carets line up after Chinese text', async () => {
    const text = [
      'version: 1',
      'name: zh',
      'description: 中文说明',
      'steps:',
      '  - id: a',
      '    prompt: { template: "请回答：{{ inputs.问题 }}" }',
      '  - { id: b, 说明: 未知键, prompt: { template: hi } }',
      '',
    ].join('\n');
    const r = await validatePipeline(text, { file: 'zh.yaml' });
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([
      ['unknown-ref', 6, 25],
      ['unknown-key', 7, 14],
    ]);
    const out = formatDiagnostics(r.diagnostics, r.source);
    // the caret sits under 说明 (13 columns in) and spans its 2 characters' 4 columns
    expect(out).toContain('7 |   - { id: b, 说明: 未知键, prompt: { template: hi } }\n  |              ^~~~\n');
    // after Chinese text on the same line, the caret is shifted by 2 columns per character
    expect(out).toContain('6 |     prompt: { template: "请回答：{{ inputs.问题 }}" }\n  |                         ^~~~~~~~~~~~~~~~~~~~~~~~~~~\n');
  });
});
