/**
 * Markdown-aware chunking: each chunk carries its heading path; fenced code is never cut (an
 * oversize code block becomes a chunk of its own, up to 16 KB: see CODE_MAX_CHARS); prose is packed paragraph by paragraph up to
 * maxChars, and a chunk that continues a section starts with up to overlapChars of the previous
 * chunk's last paragraph. `text` is the chunk body; the heading path is kept apart in `heading`
 * (see `chunkContextText` for the string to embed).
 */
import { parseMarkdown } from './blocks.js';
import { type Block, chunkBlocks } from './md-blocks.js';

export interface TextChunk {
  /** the chunk body (source text of its blocks joined by blank lines), without the heading path */
  text: string;
  /** heading path, outermost first, e.g. ['Computed Properties', 'Computed Caching vs. Methods'] */
  heading: string[];
  /** [start, end) offsets of the source range the chunk covers (dropped HTML lines inside it are not in `text`) */
  start: number;
  end: number;
}

export interface ParsedDocument {
  title?: string;
  frontMatter: Record<string, unknown>;
  chunks: TextChunk[];
}

export interface ChunkOptions {
  /** default 1200 characters (UTF-16 units) */
  maxChars?: number;
  /** default 150 */
  overlapChars?: number;
}

export const DEFAULT_MAX_CHARS = 1200;
export const DEFAULT_OVERLAP_CHARS = 150;

interface Piece { kind: 'code' | 'text'; start: number; end: number }

interface Packer {
  source: string;
  max: number;
  overlap: number;
  heading: string[];
  pieces: Piece[];
  size: number;
  out: TextChunk[];
}

/**
 * Where to cut a too-long paragraph at or before `limit`: a line break, then a sentence end
 * (. ! ? 。 ！ ？ ；), then a comma or space; never inside a surrogate pair.
 */
export function cutPoint(text: string, from: number, limit: number): number {
  const floor = from + Math.floor((limit - from) / 2);
  // search only [floor, limit] (plus one character of lookahead): searching the whole text for
  // each cut made a long paragraph without breaks quadratic (5 MB: 20 s instead of 0.1 s)
  const window = text.slice(floor, Math.min(text.length, limit + 1));
  const newline = window.lastIndexOf('\n', limit - 1 - floor);
  if (newline >= 0) return floor + newline + 1;
  for (const pattern of [/[.!?](?=\s)|[。！？；]/g, /[\s,，、：:;]/g]) {
    let best = -1;
    for (let m = pattern.exec(window); m && floor + m.index < limit; m = pattern.exec(window)) best = floor + m.index + m[0].length;
    if (best > floor) return best;
  }
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

function splitProse(source: string, block: Piece, max: number): Piece[] {
  const out: Piece[] = [];
  let start = block.start;
  while (block.end - start > max) {
    const cut = cutPoint(source, start, start + max);
    out.push({ kind: 'text', start, end: cut });
    start = cut;
    while (start < block.end && /\s/.test(source[start])) start++;
  }
  if (start < block.end) out.push({ kind: 'text', start, end: block.end });
  return out;
}

/**
 * A code block stays whole up to 16 KB (or 4 × maxChars if more); beyond that (a generated file
 * pasted in, or a fence never closed, which swallows the rest of the document) it is cut at line
 * ends, so no chunk grows to megabytes and floods a prompt.
 */
const CODE_MAX_CHARS = 16_384;
const CODE_MAX_FACTOR = 4;

function splitCode(source: string, block: Piece, max: number): Piece[] {
  const out: Piece[] = [];
  let start = block.start;
  while (block.end - start > max) {
    const nl = source.slice(start, start + max).lastIndexOf('\n');
    const cut = nl > 0 ? start + nl + 1 : start + max;
    out.push({ kind: 'code', start, end: cut });
    start = cut;
  }
  if (start < block.end) out.push({ kind: 'code', start, end: block.end });
  return out;
}

// playground and explorer links carry kilobytes of state in the URL: noise for search and a
// waste of the chunk budget, so prose keeps only the page address
const LONG_URL = /https?:\/\/[^\s)\]>"']{100,}/g;

/** `text` with URLs over 100 characters cut back to their address (query and fragment dropped). */
export function compactUrls(text: string): string {
  return text.replace(LONG_URL, (url) => {
    const base = url.replace(/[?#][\s\S]*$/, '');
    return base.length < url.length && base.length <= 100 ? `${base}#…` : `${url.slice(0, 100)}…`;
  });
}

const pieceText = (source: string, x: Piece) => (x.kind === 'text' ? compactUrls(source.slice(x.start, x.end)) : source.slice(x.start, x.end));

function flush(p: Packer): void {
  if (p.pieces.length === 0) return;
  // keep the first line's indentation: it belongs to an indented code fence or list
  const text = p.pieces.map((x) => pieceText(p.source, x)).join('\n\n').replace(/^(?:[ \t]*\n)+/, '').trimEnd();
  if (text) p.out.push({ text, heading: p.heading, start: p.pieces[0].start, end: p.pieces[p.pieces.length - 1].end });
  p.pieces = [];
  p.size = 0;
}

/** Tail of the previous chunk's last paragraph, from a word or sentence start. */
function overlapFrom(p: Packer, last: Piece | undefined): Piece | undefined {
  if (!last || last.kind !== 'text' || p.overlap <= 0) return undefined;
  if (last.end - last.start <= p.overlap) return undefined;
  let start = last.end - p.overlap;
  // only this paragraph's tail is searched (a search to the end of the source was quadratic)
  const m = /[.!?]\s+|[。！？；]/.exec(p.source.slice(start, last.end));
  // a whole last sentence reads better than a fragment, even when it is short
  if (m && start + m.index + m[0].length < last.end - 8) start += m.index + m[0].length;
  else {
    const space = p.source.slice(start, last.end).search(/\s/);
    if (space >= 0 && space < p.overlap / 2) start += space + 1;
    const code = p.source.charCodeAt(start);
    if (code >= 0xdc00 && code <= 0xdfff) start++;
  }
  return { kind: 'text', start, end: last.end };
}

function add(p: Packer, piece: Piece): void {
  const len = pieceText(p.source, piece).length;
  if (p.pieces.length > 0 && p.size + 2 + len <= p.max) {
    p.pieces.push(piece);
    p.size += 2 + len;
    return;
  }
  const last = p.pieces[p.pieces.length - 1];
  flush(p);
  const overlap = piece.kind === 'text' && p.out.length > 0 && p.out[p.out.length - 1].heading === p.heading ? overlapFrom(p, last) : undefined;
  if (overlap && overlap.end - overlap.start + 2 + len <= p.max) {
    p.pieces.push(overlap);
    p.size = overlap.end - overlap.start + 2;
  }
  p.pieces.push(piece);
  p.size += len;
  // an oversize code block stands alone rather than being cut
  if (piece.kind === 'code' && len > p.max) flush(p);
}

function pack(source: string, blocks: Block[], options: ChunkOptions): { chunks: TextChunk[]; firstH1?: string } {
  const max = Math.max(100, options.maxChars ?? DEFAULT_MAX_CHARS);
  const overlap = Math.max(0, Math.min(options.overlapChars ?? DEFAULT_OVERLAP_CHARS, Math.floor(max / 2)));
  const p: Packer = { source, max, overlap, heading: [], pieces: [], size: 0, out: [] };
  const stack: { level: number; text: string }[] = [];
  let firstH1: string | undefined;
  for (const block of blocks) {
    if (block.kind === 'heading') {
      flush(p);
      while (stack.length > 0 && stack[stack.length - 1].level >= block.level) stack.pop();
      if (block.text) stack.push({ level: block.level, text: block.text });
      if (block.level === 1 && firstH1 === undefined && block.text) firstH1 = block.text;
      p.heading = stack.map((h) => h.text);
      continue;
    }
    const oversize = block.kind === 'text' && block.end - block.start > max && pieceText(source, block).length > max;
    const huge = block.kind === 'code' && block.end - block.start > Math.max(CODE_MAX_CHARS, CODE_MAX_FACTOR * max);
    const pieces = oversize ? splitProse(source, block, max) : huge ? splitCode(source, block, max) : [block];
    for (const piece of pieces) add(p, piece);
  }
  flush(p);
  return { chunks: p.out, firstH1 };
}

/** Chunks Markdown: front matter parsed into `frontMatter`, `title` from it or the first H1. */
export function chunkMarkdown(source: string, options: ChunkOptions = {}): ParsedDocument {
  const model = parseMarkdown(source);
  const data = model.frontMatter?.data ?? {};
  const { chunks, firstH1 } = pack(source, chunkBlocks(model), options);
  const title = typeof data.title === 'string' && data.title.trim() ? data.title.trim() : firstH1;
  return { title, frontMatter: data, chunks };
}

/** Chunks plain text on blank lines (paragraphs), with the same size and overlap rules. */
export function chunkPlainText(source: string, options: ChunkOptions = {}): ParsedDocument {
  const blocks: Block[] = [];
  const paragraph = /\S(?:[\s\S]*?\S)?(?=\r?\n[ \t]*\r?\n|\s*$)/g;
  for (const m of source.matchAll(paragraph)) blocks.push({ kind: 'text', start: m.index, end: m.index + m[0].length });
  return { frontMatter: {}, chunks: pack(source, blocks, options).chunks };
}

/**
 * The string to embed for a chunk: its heading path (after the page title when the path does
 * not start with it) on the first line, then the body, so the vector side sees the section name.
 */
export function chunkContextText(chunk: TextChunk, title?: string): string {
  const path = title && chunk.heading[0] !== title ? [title, ...chunk.heading] : chunk.heading;
  return path.length > 0 ? `${path.join(' > ')}\n\n${chunk.text}` : chunk.text;
}
