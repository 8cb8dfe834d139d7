import pLimit from 'p-limit';
import { LoomError } from '../../errors.js';
import type { ModelHandle } from '../../providers/types.js';
import { splitSentences } from './text-deps.js';

/*
 * Long input for a model with a finite context: split into pieces that fit, work on the
 * pieces with bounded concurrency, combine. Every character of the input lands in exactly
 * one piece: paragraphs first, then sentences, then (for a single sentence longer than the
 * budget) plain character cuts. Nothing is dropped to make it fit.
 */

export const DEFAULT_CONTEXT_TOKENS = 8192;

/** The model's context window: the handle's, else `context_tokens` from its config, else 8k. */
export function contextTokensOf(model: ModelHandle): number {
  const fromConfig = Number(model.config?.context_tokens);
  return model.contextTokens ?? (Number.isFinite(fromConfig) && fromConfig > 0 ? fromConfig : DEFAULT_CONTEXT_TOKENS);
}

/** Packs texts into pieces of at most `budget` tokens each, in order, splitting what is too big. */
export function splitToBudget(texts: string[], budget: number, count: (text: string) => number): string[] {
  if (budget < 1) throw new LoomError('INTERNAL', `token budget ${budget} is too small to split into`);
  // a token is at least one UTF-8 byte: input within the budget in bytes is one piece, no tokenizer run
  if (texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8') + 2, 0) <= budget + 2) return texts.length ? [texts.join('\n\n')] : [];
  const units = texts.flatMap((t) => fitUnits(t, budget, count));
  const pieces: string[] = [];
  let cur: string[] = [];
  let curTokens = 0;
  for (const u of units) {
    const t = count(u.text) + (cur.length ? 2 : 0);
    if (cur.length && curTokens + t > budget) {
      pieces.push(cur.join(''));
      cur = [];
      curTokens = 0;
    }
    cur.push(cur.length ? u.sep + u.text : u.text);
    curTokens += t;
  }
  if (cur.length) pieces.push(cur.join(''));
  return pieces;
}

interface FitUnit { text: string; sep: string }

function fitUnits(text: string, budget: number, count: (t: string) => number): FitUnit[] {
  if (count(text) <= budget) return [{ text, sep: '\n\n' }];
  const out: FitUnit[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    if (!para.trim()) continue;
    if (count(para) <= budget) { out.push({ text: para, sep: '\n\n' }); continue; }
    let first = true;
    for (const sentence of splitSentences(para)) {
      for (const piece of count(sentence) <= budget ? [sentence] : hardCut(sentence, budget, count)) {
        out.push({ text: piece, sep: first ? '\n\n' : ' ' });
        first = false;
      }
    }
  }
  return out;
}

/** Character cuts for a run of text with no sentence boundary inside the budget (minified code, a huge table row). */
function hardCut(text: string, budget: number, count: (t: string) => number): string[] {
  const out: string[] = [];
  let rest = text;
  // a window of ~6 characters per token (text averages ~4); the cut is estimated from the
  // window's own count and shrunk until it fits: a few counts per piece, where a binary search
  // over all of `rest` made a 1 MB line take hours
  const window = Math.max(64, budget * 6);
  while (rest.length) {
    let cut = Math.min(rest.length, window);
    let tokens = count(rest.slice(0, cut));
    while (tokens > budget && cut > 1) {
      cut = Math.max(1, Math.min(cut - 1, Math.floor((cut * budget * 0.95) / tokens)));
      tokens = count(rest.slice(0, cut));
    }
    const space = rest.lastIndexOf(' ', cut);
    if (cut < rest.length && space > cut * 0.7) cut = space + 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return out;
}

/**
 * Runs `fn` over items with at most `concurrency` at once (Infinity: the caller's model bounds
 * them, as the engine's run budget does); stops starting new ones once `signal` aborts.
 */
export async function mapLimited<T, R>(items: T[], concurrency: number, signal: AbortSignal | undefined, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limit = pLimit(Math.max(1, concurrency));
  // queued items check the signal when their turn comes, so an abort settles them all
  return Promise.all(items.map((item, i) => limit(async () => {
    signal?.throwIfAborted();
    return fn(item, i);
  })));
}
