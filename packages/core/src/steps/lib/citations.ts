import { parseMarkdown } from '../../text/blocks.js';
import type { Passage } from './passages.js';
import { linkOf, proseSentences } from './passages.js';
import { contentTerms, idfOf } from './lexical.js';

/** One checked citation: a passage that really was given to the step. */
export interface Citation {
  id: string;
  /** the passage's number, as it appears in the answer text: [n] */
  n: number;
  source: string;
  heading: string;
  /** the passage sentence closest to the answer sentence that cites it */
  quote: string;
  /** the page or post to open, and when it last changed (synced sources) */
  url?: string;
  updated_at?: string;
}

export interface CheckedAnswer {
  /** the answer with every marker normalised to [n] and markers pointing nowhere removed */
  text: string;
  citations: Citation[];
  /** marker numbers that pointed at no passage (each reported once) */
  invalid: number[];
  /** valid markers dropped because of max_citations */
  dropped: number[];
}

export interface CheckOptions {
  maxCitations?: number;
  /** extra terms for a cited sentence, e.g. dictionary translations when answer and passage languages differ */
  expand?: (sentence: string) => string[];
}

// [1] [1, 2] [1][2] [1-3] and the full-width forms Chinese answers often use: 【1】 ［1］
const MARKER = /[[【［]\s*(\d{1,4}(?:\s*(?:[,，、;；]|[-–~～])\s*\d{1,4})*)\s*[\]】］](?!\()/g;
// code is never scanned for markers: `arr[1]` and code blocks (by the block model) stay as written
const INLINE_CODE = /`[^`\n]*`/g;

interface Marker { start: number; end: number; numbers: number[] }

export function findMarkers(text: string): Marker[] {
  const code: [number, number][] = parseMarkdown(text).blocks.filter((b) => b.kind === 'code').map((b) => [b.start, b.end]);
  for (const m of text.matchAll(INLINE_CODE)) code.push([m.index, m.index + m[0].length]);
  const out: Marker[] = [];
  for (const m of text.matchAll(MARKER)) {
    if (code.some(([a, b]) => m.index >= a && m.index < b)) continue;
    out.push({ start: m.index, end: m.index + m[0].length, numbers: parseNumbers(m[1]) });
  }
  return out;
}

function parseNumbers(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(/\s*[,，、;；]\s*/)) {
    const range = /^(\d+)\s*[-–~～]\s*(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      // a range like [1-200] is not a citation anyone means; keep its ends only
      if (b >= a && b - a <= 20) for (let i = a; i <= b; i++) out.push(i);
      else out.push(a, b);
    } else if (part) out.push(Number(part));
  }
  return out;
}

/**
 * Checks every citation marker of a model's answer against the passages it was given:
 * markers pointing nowhere are removed, the rest normalised to [n]; `citations` lists
 * each real cited passage once, in order of first citation, with a short quote.
 */
export function checkCitations(answer: string, passages: Passage[], options: CheckOptions = {}): CheckedAnswer {
  const byN = new Map(passages.map((p) => [p.n, p]));
  const markers = findMarkers(answer);
  const order: number[] = [];
  const invalid = new Set<number>();
  const dropped = new Set<number>();
  const contexts = new Map<number, string[]>();
  const max = options.maxCitations ?? Infinity;
  let text = '';
  let last = 0;
  for (const m of markers) {
    const kept: number[] = [];
    for (const n of m.numbers) {
      if (!byN.has(n)) { invalid.add(n); continue; }
      if (!order.includes(n)) {
        if (order.length >= max) { dropped.add(n); continue; }
        order.push(n);
      }
      if (!kept.includes(n)) kept.push(n);
      const list = contexts.get(n) ?? [];
      list.push(citedSentence(answer, m.start));
      contexts.set(n, list);
    }
    let before = answer.slice(last, m.start);
    if (kept.length === 0) before = before.replace(/[ \t]+$/, '');
    text += before + kept.map((n) => `[${n}]`).join('');
    last = m.end;
  }
  text += answer.slice(last);
  const citations = order.map((n) => {
    const p = byN.get(n)!;
    return { id: p.id, n, source: p.source, heading: p.heading, quote: bestQuote(p, contexts.get(n) ?? [], options.expand), ...linkOf(p) };
  });
  return { text: tidy(text), citations, invalid: [...invalid], dropped: [...dropped] };
}

function tidy(text: string): string {
  // a removed marker can leave "word ." or a doubled space behind
  return text.replace(/[ \t]+([.,;:!?。，；：！？])/g, '$1').replace(/[ \t]{2,}/g, ' ').trim();
}

/** The answer text a marker at `pos` belongs to: back to the previous sentence end. */
export function citedSentence(answer: string, pos: number): string {
  let end = pos;
  // skip the punctuation and other markers right before this one ("... step.[1][2]")
  while (end > 0) {
    const before = answer.slice(0, end);
    const trail = /(\s+|[.!?。！？]|[[【［][\d\s,，、\-–]+[\]】］])$/.exec(before);
    if (!trail) break;
    end -= trail[0].length;
  }
  const head = answer.slice(0, end);
  const boundary = Math.max(...['.', '!', '?', '。', '！', '？', '\n'].map((c) => head.lastIndexOf(c)));
  return head.slice(boundary + 1).replace(MARKER, ' ').trim();
}

const QUOTE_CHARS = 240;

/** The passage sentence sharing the most (IDF-weighted) terms with the sentences citing it. */
export function bestQuote(passage: Passage, citing: string[], expand?: (s: string) => string[]): string {
  const sentences = proseSentences(passage.text);
  if (sentences.length === 0) return clip(passage.text.trim());
  const sentTerms = sentences.map((s) => new Set(contentTerms(s)));
  const idf = idfOf(sentTerms.map((s) => [...s]));
  const want = new Set<string>();
  for (const c of citing) {
    for (const t of contentTerms(c)) want.add(t);
    for (const t of expand?.(c) ?? []) want.add(t);
  }
  let best = 0;
  let bestScore = 0;
  sentTerms.forEach((terms, i) => {
    let score = 0;
    for (const t of want) if (terms.has(t)) score += idf.get(t) ?? 0;
    if (score > bestScore) { bestScore = score; best = i; }
  });
  return clip(sentences[best]);
}

function clip(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= QUOTE_CHARS) return t;
  const cut = t.slice(0, QUOTE_CHARS);
  const space = cut.lastIndexOf(' ');
  return (space > QUOTE_CHARS * 0.6 ? cut.slice(0, space) : cut) + '…';
}
