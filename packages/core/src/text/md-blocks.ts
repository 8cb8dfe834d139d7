/**
 * The chunker's view of the block model (blocks.ts): headings, code to keep whole, and text
 * (paragraphs, lists, tables, quotes and VitePress `::: tip` container lines, neighbours without
 * a blank line between them joined into one block). Raw HTML, tag-only lines
 * (`<div class="options-api">`, `<VueSchoolLink … />`) and thematic breaks are dropped.
 */
import { type MarkdownModel, parseMarkdown } from './blocks.js';

export { readFrontMatter } from './blocks.js';

export type Block =
  | { kind: 'heading'; level: number; text: string; start: number; end: number }
  | { kind: 'code' | 'text'; start: number; end: number };

/** Chunker blocks of a parsed document, in source order. */
export function chunkBlocks(model: MarkdownModel): Block[] {
  const out: Block[] = [];
  let lastLine = -1;
  for (const b of model.blocks) {
    if (b.kind === 'heading') out.push({ kind: 'heading', level: b.level!, text: b.text!, start: b.start, end: b.end });
    else if (b.kind === 'code') out.push({ kind: 'code', start: b.start, end: b.end });
    else if (b.kind === 'paragraph' || b.kind === 'table' || b.kind === 'container') {
      const prev = out[out.length - 1];
      // lines with no blank line between them (a tight list, a container and its text) stay together
      if (prev?.kind === 'text' && b.line === lastLine) prev.end = b.end;
      else out.push({ kind: 'text', start: b.start, end: b.end });
    } else continue;
    lastLine = b.endLine;
  }
  return out;
}

/** Scans Markdown into chunker blocks (front matter skipped). */
export function scanBlocks(source: string): Block[] {
  return chunkBlocks(parseMarkdown(source));
}
