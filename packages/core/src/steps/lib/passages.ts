import { splitSentences } from './text-deps.js';

/** A passage as the model steps see it, numbered from 1 in the order given. */
export interface Passage {
  n: number;
  id: string;
  source: string;
  heading: string;
  text: string;
  score?: number;
  lang?: string;
}

type HitLike = { id?: unknown; source?: unknown; heading?: unknown; text?: unknown; score?: unknown; lang?: unknown; pageContent?: unknown; metadata?: unknown };

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
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Prose sentences of a Markdown-ish text, for extractive summaries, answers and quotes:
 * fenced code, tables, HTML and headings are left out (a quote must be a sentence someone
 * wrote, not a line of YAML); list markers and link targets are dropped, link text kept.
 */
export function proseSentences(text: string): string[] {
  const out: string[] = [];
  for (const block of proseBlocks(text)) {
    for (const s of splitSentences(block)) {
      const t = s.trim();
      if (t) out.push(t);
    }
  }
  return out;
}

function proseBlocks(text: string): string[] {
  const blocks: string[] = [];
  let para: string[] = [];
  let fence: string | undefined;
  const flush = () => {
    if (para.length) blocks.push(para.join(' '));
    para = [];
  };
  const lines = text.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, '').split(/\r?\n/);
  for (const raw of lines) {
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length) fence = undefined;
      continue;
    }
    if (fenceMatch) { flush(); fence = fenceMatch[1]; continue; }
    const line = raw.trim();
    // ::: tip containers and > [!NOTE] markers are layout, not prose
    if (!line || /^:::/.test(line) || /^>\s*\[!\w+\]\s*$/.test(line) || /^#{1,6}\s/.test(line) || line.startsWith('|') || /^<[^>]+>$/.test(line) || /^([-*_])(\s*\1){2,}$/.test(line)) {
      flush();
      continue;
    }
    const item = /^(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/.exec(line);
    if (item) flush();
    para.push(cleanInline(line.slice(item ? item[0].length : 0).replace(/^>\s?/, '')));
    if (item) flush();
  }
  flush();
  return blocks.filter((b) => b.trim());
}

function cleanInline(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<\/?[A-Za-z][^>]*>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2');
}
