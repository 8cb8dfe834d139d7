import { parseMarkdown } from '../../text/blocks.js';
import { joinLines, splitProse } from '../../text/sentences.js';

/** A passage as the model steps see it, numbered from 1 in the order given. */
export interface Passage {
  n: number;
  id: string;
  source: string;
  heading: string;
  text: string;
  score?: number;
  lang?: string;
  /** the link a citation of it carries (synced sources) */
  url?: string;
  updated_at?: string;
}

type HitLike = { id?: unknown; source?: unknown; heading?: unknown; text?: unknown; score?: unknown; lang?: unknown; url?: unknown; updated_at?: unknown; pageContent?: unknown; metadata?: unknown };

/**
 * Accepts what a pipeline may hand a model step: a retrieve output `{hits, text}`, a list of
 * hits (or LangChain Documents), a list of strings, or one string.
 */
export function toPassages(input: unknown): Passage[] {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return input.trim() ? [plain(input, 1)] : [];
  if (Array.isArray(input)) {
    return input
      .map((item, i) => (typeof item === 'string' ? plain(item, i + 1) : fromHit(item as HitLike, i + 1)))
      .filter((p) => p.text.trim().length > 0)
      .map((p, i) => ({ ...p, n: i + 1 }));
  }
  if (typeof input === 'object' && Array.isArray((input as { hits?: unknown }).hits)) {
    return toPassages((input as { hits: unknown[] }).hits);
  }
  return toPassages(String(input));
}

function plain(text: string, n: number): Passage {
  return { n, id: `text-${n}`, source: `text ${n}`, heading: '', text };
}

function fromHit(hit: HitLike, n: number): Passage {
  const meta = (hit.metadata && typeof hit.metadata === 'object' ? hit.metadata : {}) as Record<string, unknown>;
  const text = str(hit.text) ?? str(hit.pageContent) ?? '';
  return {
    n,
    id: str(hit.id) ?? str(meta.id) ?? `passage-${n}`,
    source: str(hit.source) ?? str(meta.source) ?? `passage ${n}`,
    heading: str(hit.heading) ?? str(meta.heading) ?? '',
    text,
    score: typeof hit.score === 'number' ? hit.score : undefined,
    lang: str(hit.lang) ?? str(meta.lang),
    ...link(str(hit.url) ?? str(meta.url), str(hit.updated_at) ?? str(meta.updated_at)),
  };
}

function link(url: string | undefined, updated: string | undefined): { url?: string; updated_at?: string } {
  return { ...(url ? { url } : {}), ...(updated ? { updated_at: updated } : {}) };
}

/** The link fields of a passage, for the citation that points at it. */
export function linkOf(p: Passage): { url?: string; updated_at?: string } {
  return link(p.url, p.updated_at);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** One quotable unit of a passage, in source order. */
export interface ProseUnit {
  text: string;
  /** a sentence of a paragraph, a list item's sentence, or a table data row ("cell | cell") */
  kind: 'sentence' | 'item' | 'row';
  /** which paragraph, list item or row it comes from (sentences of one paragraph share it) */
  part: number;
}

/**
 * Prose sentences of a Markdown-ish text, for extractive summaries, answers and quotes:
 * fenced code, HTML and headings are left out (a quote must be a sentence someone wrote, not
 * a line of YAML); list markers and link targets are dropped, link text kept. Table data rows
 * come back whole as "cell | cell" with `tableRows` (answers quote them; summaries do not).
 */
export function proseSentences(text: string, options: { tableRows?: boolean } = {}): string[] {
  return proseUnits(text, options).map((u) => u.text);
}

/** proseSentences() with where each sentence comes from. */
export function proseUnits(text: string, options: { tableRows?: boolean } = {}): ProseUnit[] {
  const out: ProseUnit[] = [];
  proseBlocks(text, options.tableRows ?? false).forEach((block, i) => {
    if (block.kind === 'row') { out.push({ text: block.text, kind: 'row', part: i }); return; }
    for (const s of splitProse(block.text)) {
      const t = s.trim();
      if (t) out.push({ text: t, kind: block.kind, part: i });
    }
  });
  return out;
}

interface Block { text: string; kind: ProseUnit['kind'] }

/**
 * The quotable blocks of a text, from the block model: paragraphs (link text kept, tags and
 * emphasis marks dropped, inline code kept with its backticks and everything inside it, so
 * `<template>` survives), list items, and table data rows with `tableRows`.
 */
function proseBlocks(text: string, tableRows: boolean): Block[] {
  const blocks: Block[] = [];
  for (const b of parseMarkdown(text).blocks) {
    if (b.kind === 'table' && tableRows) {
      for (const row of b.rows!) {
        const cells = row.cells.filter(Boolean);
        if (!row.header && cells.length > 1) blocks.push({ text: cells.join(' | '), kind: 'row' });
      }
    }
    if (b.kind !== 'paragraph') continue;
    // `> [!NOTE]` alert markers are layout, not prose
    const lines = b.text!.replace(/^\[!\w+\][ \t]*/, '').split('\n');
    const joined = joinLines(lines);
    if (joined) blocks.push({ text: joined, kind: b.item ? 'item' : 'sentence' });
  }
  return blocks;
}
