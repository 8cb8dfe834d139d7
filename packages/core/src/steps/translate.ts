import { LoomError } from '../errors.js';
import type { StepContext } from '../engine/types.js';
import { detectLanguage } from '../text/lang.js';
import { translateParams, type TranslateParams } from './params.js';
import { defineStep } from './registry.js';
import { baseLang } from './lib/answer-text.js';
import { compareProtected } from './lib/markdown-check.js';
import { reassemble, segmentMarkdown, segmentPlainText } from './lib/markdown-segments.js';
import { mapLimited } from './lib/map-reduce.js';
import { batchUnits, translateBatch } from './lib/translate-batches.js';

/*
 * translate: only prose goes to the model. Code blocks, inline code, link targets, URLs,
 * HTML tags and front-matter keys are cut out before and put back after (byte-identical),
 * and the result is checked for that before it is returned. No model: an error, never a copy.
 * Batches are not streamed: their replies are JSON, not something to read live.
 */

export interface TranslateOutput {
  text: string;
  from: string;
  to: string;
}

export const NO_MODEL_HINT =
  'add a models: block to the pipeline (models: {default: {provider: openai, model: gpt-4o-mini}}), or pass --model openai:NAME (or set LOOM_MODEL) with OPENAI_BASE_URL pointing at any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) and OPENAI_API_KEY if it needs one';

function splitGlossary(glossary: TranslateParams['glossary']): { keep: string[]; mapped: { from: string; to: string }[] } {
  if (!glossary) return { keep: [], mapped: [] };
  if (Array.isArray(glossary)) return { keep: glossary, mapped: [] };
  const keep: string[] = [];
  const mapped: { from: string; to: string }[] = [];
  for (const [from, to] of Object.entries(glossary)) {
    if (from === to) keep.push(from);
    else mapped.push({ from, to });
  }
  return { keep, mapped };
}

function checkGlossary(source: string, output: string, mapped: { from: string; to: string }[], ctx: StepContext): void {
  for (const { from, to } of mapped) {
    if (source.includes(from) && !output.includes(to)) ctx.warn(`glossary: "${from}" should become "${to}", which is not in the translation`);
  }
}

export const translateStep = defineStep<TranslateParams, TranslateOutput>({
  kind: 'translate',
  description: 'translate text or Markdown with a model, keeping code, links and markup byte-identical',
  params: translateParams,
  outputs: ['text', 'from', 'to'],
  callsModel: true,
  maxCalls: () => 'unbounded',
  async run(params, ctx) {
    if (!ctx.model) {
      throw new LoomError('PROVIDER_NOT_CONFIGURED', 'translate needs a model, and none is configured', { stepId: ctx.stepId, hint: NO_MODEL_HINT });
    }
    const from = params.from && params.from !== 'auto' ? params.from : await detectLanguage(params.text.slice(0, 4000));
    if (baseLang(from) === baseLang(params.to) && params.text.trim()) {
      ctx.warn(`the text is already in ${params.to}: returned unchanged`);
      return { text: params.text, from, to: params.to };
    }
    const { keep, mapped } = splitGlossary(params.glossary);
    const seg = params.format === 'text' ? segmentPlainText(params.text, { keep }) : segmentMarkdown(params.text, { keep });
    if (seg.units.length === 0) return { text: params.text, from, to: params.to };
    const model = ctx.model;
    const batches = batchUnits(seg.units, (t) => model.countTokens(t));
    const batchCtx = {
      model, from, to: params.to, glossary: mapped, stepId: ctx.stepId, signal: ctx.signal,
      overrides: { system: params.system, prompt: params.prompt, prompts: params.prompts }, baseDir: ctx.pipeline.dir,
    };
    // no bound of its own: each batch's model call takes a slot of the run's budget (--concurrency)
    const results = await mapLimited(batches, Infinity, ctx.signal, (batch, i) =>
      translateBatch(batch.map((u) => seg.units[u]), i, batches.length, batchCtx));
    const translated: string[] = new Array(seg.units.length);
    batches.forEach((batch, b) => batch.forEach((u, k) => { translated[u] = results[b][k]; }));
    const text = reassemble(seg, translated);
    const problems = params.format === 'text' ? [] : compareProtected(params.text, text);
    if (problems.length) {
      throw new LoomError('PROVIDER_BAD_RESPONSE', `translate step "${ctx.stepId}": the translation does not keep the Markdown intact: ${problems.join('; ')}`, {
        stepId: ctx.stepId, model: `${model.provider}:${model.model}`, retryable: false,
      });
    }
    checkGlossary(params.text, text, mapped, ctx);
    return { text, from, to: params.to };
  },
});
