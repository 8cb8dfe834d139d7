import type { StepContext } from '../engine/types.js';
import { detectLanguage, detectLanguageSync, expandQuery } from './lib/text-deps.js';
import { answerParams, type AnswerParams } from './params.js';
import { defineStep } from './registry.js';
import { checkCitations, type Citation } from './lib/citations.js';
import { extractiveAnswer, type ExtractivePick } from './lib/extractive-answer.js';
import { joinSentences } from './lib/extractive.js';
import { hasCjk } from './lib/lexical.js';
import { answerMessages, baseLang, extractiveNote, isNoAnswer, refusal, sentinelGate } from './lib/answer-text.js';
import { linkOf, toPassages, type Passage } from './lib/passages.js';

/*
 * answer: a question and passages -> a cited answer, or an honest refusal.
 * The model's citation markers are checked against the passages it was given; the final
 * output is that checked text. Streamed tokens (ctx.onToken) are the raw model text and may
 * still hold a marker that the check removes afterwards: fine for a live view, and the
 * reason the CLI prints the checked answer again when the two differ.
 */

export interface AnswerOutput {
  answer: string;
  citations: Citation[];
  grounded: boolean;
  extractive: boolean;
  lang: string;
}

export async function resolveLang(requested: string | undefined, text: string): Promise<string> {
  if (requested && requested !== 'auto') return requested;
  return detectLanguage(text);
}

function passageLang(p: Passage): string {
  return p.lang ?? detectLanguageSync(p.text);
}

/** Dictionary translations of question words, only when some passage is in another language. */
function crossLingualExpander(lang: string, passages: Passage[]): ((word: string) => string[]) | undefined {
  if (!passages.some((p) => baseLang(passageLang(p)) !== baseLang(lang))) return undefined;
  return (word) => expandQuery(word, { maxTerms: 8 }).terms;
}

function refuse(lang: string, extractive: boolean): AnswerOutput {
  return { answer: refusal(lang), citations: [], grounded: false, extractive, lang };
}

function usablePassages(params: AnswerParams, ctx: StepContext): Passage[] {
  const all = toPassages(params.passages);
  if (params.min_score === undefined) return all;
  const kept = all.filter((p) => p.score === undefined || p.score >= params.min_score!);
  if (kept.length < all.length) ctx.warn(`${all.length - kept.length} of ${all.length} passages scored below min_score ${params.min_score} and were left out`);
  return kept.map((p, i) => ({ ...p, n: i + 1 }));
}

async function offlineAnswer(params: AnswerParams, passages: Passage[], lang: string, ctx: StepContext): Promise<AnswerOutput> {
  ctx.warn('no model configured: the answer is extractive (sentences quoted from the passages, in their language)');
  const expand = crossLingualExpander(lang, passages);
  const result = extractiveAnswer(params.question, passages, { expand, lang, passageLang, maxPassages: params.max_citations });
  if (!result.grounded) return refuse(lang, true);
  const picks = result.picks;
  const body = extractiveBody(picks);
  const answerLang = detectLanguageSync(picks.map((p) => p.sentence).join(' '));
  const translatedNeeded = baseLang(answerLang) !== baseLang(lang);
  const citations: Citation[] = [];
  for (const pick of picks) {
    if (citations.some((c) => c.n === pick.n)) continue;
    const p = passages.find((q) => q.n === pick.n)!;
    // the quote is the very sentence the answer is made of
    citations.push({ id: p.id, n: p.n, source: p.source, heading: p.heading, quote: pick.sentence, ...linkOf(p) });
  }
  return {
    answer: `${extractiveNote(lang, translatedNeeded)}\n${body}`,
    citations,
    grounded: true,
    extractive: true,
    lang: answerLang,
  };
}

/** The quoted sentences, each cited, with the block (code, table, list) a sentence introduces. */
function extractiveBody(picks: ExtractivePick[]): string {
  return joinSentences(picks.map((p) => {
    const cited = hasCjk(p.sentence.slice(-1)) || /[。！？：；，、]$/.test(p.sentence) ? `${p.sentence}[${p.n}]` : `${p.sentence} [${p.n}]`;
    return p.block ? `${cited}\n\n${p.block}\n\n` : cited;
  })).trim();
}

async function modelAnswer(params: AnswerParams, passages: Passage[], lang: string, ctx: StepContext): Promise<AnswerOutput> {
  const model = ctx.model!;
  const messages = await answerMessages({
    question: params.question,
    passages,
    lang,
    overrides: { system: params.system, prompt: params.prompt, prompts: params.prompts },
    baseDir: ctx.pipeline.dir,
  });
  const gate = ctx.onToken ? sentinelGate(ctx.onToken) : undefined;
  const result = await model.call({ messages, signal: ctx.signal, onToken: gate?.push });
  gate?.end();
  if (isNoAnswer(result.text)) return refuse(lang, false);
  const checked = checkCitations(result.text, passages, { maxCitations: params.max_citations, expand: crossLingualExpander(lang, passages) });
  for (const n of checked.invalid) {
    ctx.warn(`the model cited [${n}], but only ${passages.length} passage${passages.length === 1 ? ' was' : 's were'} given: marker removed`);
  }
  if (checked.dropped.length) ctx.warn(`citations beyond max_citations (${params.max_citations}) removed: ${checked.dropped.map((n) => `[${n}]`).join(' ')}`);
  const grounded = checked.citations.length > 0;
  if (!grounded) ctx.warn('the answer cites no passage, so it is marked grounded: false');
  return { answer: checked.text, citations: checked.citations, grounded, extractive: false, lang };
}

export const answerStep = defineStep<AnswerParams, AnswerOutput>({
  kind: 'answer',
  description: 'answer a question from passages, with checked citations (extractive without a model)',
  params: answerParams,
  outputs: ['answer', 'citations', 'grounded', 'extractive', 'lang'],
  callsModel: true,
  maxCalls: () => 1,
  async run(params, ctx) {
    const lang = await resolveLang(params.lang, params.question);
    const passages = usablePassages(params, ctx);
    if (passages.length === 0) return refuse(lang, ctx.model === undefined);
    return ctx.model ? modelAnswer(params, passages, lang, ctx) : offlineAnswer(params, passages, lang, ctx);
  },
});
