import type { StepContext } from '../engine/types.js';
import { detectLanguage } from '../text/lang.js';
import { summarizeParams, type SummarizeParams } from './params.js';
import { defineStep } from './registry.js';
import { joinSentences, pickSentences } from './lib/extractive.js';
import { proseSentences, toPassages } from './lib/passages.js';
import { summarizeWithModel } from './lib/summarize-model.js';

/*
 * summarize: text, a list of texts or hits, or a retrieve output -> a summary.
 * With a model: map-reduce over pieces that fit its context (lib/summarize-model.ts).
 * Without: extractive, the most central sentences quoted in their original order; the
 * step warns that it is extractive and the text claims nothing else.
 * Word limits count one CJK character as one word (lib/lexical.ts countWords).
 */

export interface SummarizeOutput {
  summary: string;
  extractive: boolean;
  lang: string;
}

/** The input as a list of documents; hits keep their source and heading as a first line. */
function documentsOf(input: SummarizeParams['text'], withHeadings: boolean): string[] {
  if (typeof input === 'string') return input.trim() ? [input] : [];
  return toPassages(input).map((p) => {
    const label = [p.source, p.heading].filter(Boolean).join(' › ');
    return withHeadings && p.id !== `text-${p.n}` && label ? `[${label}]\n${p.text}` : p.text;
  });
}

// language ID reads a sample: the start of the text says what the text is written in
function languageSample(docs: string[]): string {
  return docs.join('\n\n').slice(0, 4000);
}

function extractiveSummary(docs: string[], params: SummarizeParams, lang: string, ctx: StepContext): SummarizeOutput {
  const sentences = docs.flatMap((d) => proseSentences(d));
  const tldr = params.style === 'tldr';
  const picked = pickSentences(sentences, { maxWords: tldr ? Math.min(params.max_words, 50) : params.max_words, maxSentences: tldr ? 2 : undefined });
  ctx.warn(`no model configured: the summary is extractive (${picked.length} of ${sentences.length} sentences quoted from the input, in their original order)`);
  const summary = params.style === 'bullets' ? picked.map((s) => `- ${s}`).join('\n') : joinSentences(picked);
  return { summary, extractive: true, lang };
}

export const summarizeStep = defineStep<SummarizeParams, SummarizeOutput>({
  kind: 'summarize',
  description: 'summarize text, documents or hits (map-reduce with a model, extractive without)',
  params: summarizeParams,
  outputs: ['summary', 'extractive', 'lang'],
  callsModel: true,
  maxCalls: () => 'unbounded',
  async run(params, ctx) {
    const docs = documentsOf(params.text, ctx.model !== undefined);
    const lang = params.lang && params.lang !== 'auto' ? params.lang : docs.length ? await detectLanguage(languageSample(docs)) : 'en';
    if (docs.length === 0) {
      ctx.warn('nothing to summarize: the input is empty');
      return { summary: '', extractive: ctx.model === undefined, lang };
    }
    if (!ctx.model) return extractiveSummary(docs, params, lang, ctx);
    const result = await summarizeWithModel(docs, {
      model: ctx.model,
      maxWords: params.max_words,
      style: params.style,
      lang,
      signal: ctx.signal,
      overrides: { system: params.system, prompt: params.prompt, prompts: params.prompts },
      baseDir: ctx.pipeline.dir,
      onToken: ctx.onToken,
    });
    return { summary: result.summary, extractive: false, lang };
  },
});
