import type { StepContext } from '../engine/types.js';
import { detectLanguage } from '../text/lang.js';
import { summarizeParams, type SummarizeParams } from './params.js';
import { defineStep } from './registry.js';
import { joinSentences, pickSentences } from './lib/extractive.js';
import { proseSentences, toPassages } from './lib/passages.js';
import { summarizeWithModel } from './lib/summarize-model.js';
import { baseLang, noProseNote, untranslatedNote } from './lib/answer-text.js';

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
  /** the language the summary is written in (an extractive summary keeps the input's) */
  lang: string;
  /**
   * what the reader should know about the summary, in the requested language: an extractive
   * summary of text in another language says it was not translated; '' when there is nothing to say
   */
  note: string;
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

// a sentence ends with its punctuation, perhaps inside closing quotes or brackets
const FINISHED = /[.!?。！？…][\s"'”’)）」』]*$/;

/**
 * Quotable sentences of each document. A retrieval chunk that starts mid-sentence (its overlap
 * with the previous chunk) starts with a scrap ("doubled after each failed round."): left out.
 * Labels without final punctuation ("See also: Typing Computed") read as glued to the next
 * sentence once joined into a paragraph: left out too, unless nothing else is left.
 */
function summarySentences(docs: string[]): string[] {
  // a text that is one sentence is not a scrap of another, however it starts ("hello there")
  const all = docs.flatMap((d) => {
    const sentences = proseSentences(d);
    return sentences.length < 2 ? sentences : sentences.filter((s, i) => i > 0 || !/^\p{Ll}/u.test(s));
  });
  const finished = all.filter((s) => FINISHED.test(s));
  return finished.length > 0 ? finished : all;
}

async function extractiveSummary(docs: string[], params: SummarizeParams, requested: string, ctx: StepContext): Promise<SummarizeOutput> {
  const sentences = summarySentences(docs);
  if (sentences.length === 0) {
    ctx.warn('nothing to summarize without a model: the input has no prose sentences (only code, tables or markup)');
    return { summary: '', extractive: true, lang: requested, note: noProseNote(requested) };
  }
  const tldr = params.style === 'tldr';
  const picked = pickSentences(sentences, { maxWords: tldr ? Math.min(params.max_words, 50) : params.max_words, maxSentences: tldr ? 2 : undefined });
  ctx.warn(`no model configured: the summary is extractive (${picked.length} of ${sentences.length} sentences quoted from the input, in their original order)`);
  const summary = params.style === 'bullets' ? picked.map((s) => `- ${s}`).join('\n') : joinSentences(picked);
  // quotes are in the input's language, whatever was asked for: say so rather than claim otherwise
  const lang = await detectLanguage(summary);
  const untranslated = baseLang(lang) !== baseLang(requested);
  if (untranslated) ctx.warn(`the summary is in ${lang}, not ${requested}: without a model the sentences are quoted, not translated`);
  return { summary, extractive: true, lang, note: untranslated ? untranslatedNote(requested) : '' };
}

export const summarizeStep = defineStep<SummarizeParams, SummarizeOutput>({
  kind: 'summarize',
  description: 'summarize text, documents or hits (map-reduce with a model, extractive without)',
  params: summarizeParams,
  outputs: ['summary', 'extractive', 'lang', 'note'],
  callsModel: true,
  maxCalls: () => 'unbounded',
  async run(params, ctx) {
    const docs = documentsOf(params.text, ctx.model !== undefined);
    const lang = params.lang && params.lang !== 'auto' ? params.lang : docs.length ? await detectLanguage(languageSample(docs)) : 'en';
    if (docs.length === 0) {
      ctx.warn('nothing to summarize: the input is empty');
      return { summary: '', extractive: ctx.model === undefined, lang, note: '' };
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
    return { summary: result.summary, extractive: false, lang, note: '' };
  },
});
