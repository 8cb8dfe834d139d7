import { LoomError } from '../../errors.js';
import type { ModelHandle } from '../../providers/types.js';
import { contextTokensOf, mapLimited, splitToBudget } from './map-reduce.js';
import { renderPrompt, type PromptOverrides } from './prompts.js';
import { promptLanguage } from './answer-text.js';

/*
 * Map-reduce summaries: when the input does not fit the model's context next to the prompt
 * and room for the answer, each piece is summarized into notes (concurrently, bounded),
 * notes are merged level by level until they fit, and one final call writes the summary.
 */

export interface ModelSummaryOptions {
  model: ModelHandle;
  maxWords: number;
  style: 'bullets' | 'paragraph' | 'tldr';
  lang: string;
  signal?: AbortSignal;
  /**
   * most calls at once; default unbounded, since inside a run every model call already takes
   * a slot of the run's budget (`--concurrency`). Set it when calling this outside a run.
   */
  concurrency?: number;
  overrides?: PromptOverrides;
  baseDir?: string;
  /** streams the final call only; notes are not shown */
  onToken?: (delta: string) => void;
}

export interface ModelSummary { summary: string; calls: number; pieces: number; levels: number }

type Stage = 'map' | 'reduce' | 'final';

export async function summarizeWithModel(docs: string[], options: ModelSummaryOptions): Promise<ModelSummary> {
  const { model } = options;
  const count = (t: string) => model.countTokens(t);
  const context = contextTokensOf(model);
  const outputReserve = Math.min(Math.floor(context / 4), Math.max(256, Math.ceil(options.maxWords * 2.5)));
  const overhead = await promptOverhead(options);
  const budget = context - outputReserve - overhead;
  if (budget < 64) {
    throw new LoomError('CONFIG_INVALID', `model ${model.provider}:${model.model} has a context of ${context} tokens: too small for the summarize prompt (${overhead} tokens) and a ${options.maxWords}-word summary`, {
      hint: 'set context_tokens on the model under models: to its real window, or lower max_words',
    });
  }
  let calls = 0;
  const call = async (stage: Stage, text: string, extra: Record<string, unknown>, stream = false) => {
    calls++;
    const messages = await messagesFor(stage, text, extra, options);
    const result = await model.call({ messages, signal: options.signal, onToken: stream ? options.onToken : undefined });
    return result.text.trim();
  };

  let pieces = splitToBudget(docs, budget, count);
  const total = pieces.length;
  if (pieces.length === 1) return { summary: await call('final', pieces[0], { combined: false }, true), calls, pieces: 1, levels: 0 };

  const concurrency = options.concurrency ?? Infinity;
  // notes sized so that all of them together usually fit one final call
  const noteWords = (n: number) => Math.max(60, Math.min(250, Math.floor(budget / (n * 2))));
  let notes = await mapLimited(pieces, concurrency, options.signal, (piece, i) =>
    call('map', piece, { part: i + 1, parts: pieces.length, max_words: noteWords(pieces.length) }));
  let levels = 1;
  while (count(notes.join('\n\n')) > budget) {
    const before = notes.length;
    pieces = splitToBudget(notes, budget, count);
    if (pieces.length >= before) {
      // merging made no progress (notes as long as their input): stop rather than loop forever
      throw new LoomError('RUN_STEP_FAILED', `summarize: the model's notes do not get shorter (${before} notes of ${count(notes.join(''))} tokens for a ${budget}-token budget)`, {
        hint: 'use a model with a larger context (context_tokens), or a smaller max_words',
      });
    }
    notes = await mapLimited(pieces, concurrency, options.signal, (piece) => call('reduce', piece, { max_words: noteWords(pieces.length) }));
    levels++;
  }
  const summary = await call('final', notes.join('\n\n'), { combined: true }, true);
  return { summary, calls, pieces: total, levels };
}

async function messagesFor(stage: Stage, text: string, extra: Record<string, unknown>, options: ModelSummaryOptions) {
  const scope = {
    stage,
    text,
    language: promptLanguage(options.lang) === 'the same language as the question' ? 'the language of the text' : promptLanguage(options.lang),
    lang: options.lang,
    style: options.style,
    max_words: options.maxWords,
    part: 0,
    parts: 0,
    combined: false,
    ...extra,
  };
  const [system, user] = await Promise.all([
    renderPrompt('summarize', 'system', scope, options.overrides, options.baseDir),
    renderPrompt('summarize', 'user', scope, options.overrides, options.baseDir),
  ]);
  return [
    { role: 'system' as const, content: system },
    { role: 'user' as const, content: user },
  ];
}

// the prompt's size depends only on these settings, not on the text: 6 renders and 6 tokenizer
// runs per summarize call otherwise (most of the step's CPU for a short text)
const overheads = new Map<string, Promise<number>>();

/** Tokens the prompt takes around the text (the larger of the stages), plus a margin for message framing. */
function promptOverhead(options: ModelSummaryOptions): Promise<number> {
  const { model, lang, style, maxWords, overrides, baseDir } = options;
  const key = JSON.stringify([model.provider, model.model, lang, style, maxWords, overrides ?? null, baseDir ?? null]);
  let overhead = overheads.get(key);
  if (!overhead) {
    overhead = measureOverhead(options);
    overheads.set(key, overhead);
    overhead.catch(() => overheads.delete(key));
  }
  return overhead;
}

async function measureOverhead(options: ModelSummaryOptions): Promise<number> {
  let most = 0;
  for (const stage of ['map', 'reduce', 'final'] as Stage[]) {
    const messages = await messagesFor(stage, '', { part: 999, parts: 999, combined: true }, options);
    most = Math.max(most, messages.reduce((s, m) => s + options.model.countTokens(m.content) + 4, 0));
  }
  return most + 16;
}
