/**
 * A line-based Markdown block scanner, just enough for chunking documentation: ATX headings,
 * fenced code (``` and ~~~ with any info string), HTML blocks to drop, and paragraphs (which
 * include lists, tables, block quotes and VitePress `::: tip` containers). Every block keeps
 * [start, end) offsets into the original source.
 */
import { parse as parseYaml } from 'yaml';

export type Block =
  | { kind: 'heading'; level: number; text: string; start: number; end: number }
  | { kind: 'code' | 'text'; start: number; end: number };

interface Line {
  text: string; // without the line break (and without a trailing \r)
  start: number;
  end: number; // offset just after the line's text (before its line break)
}

// any indentation: fences nested in list items are indented by the item's width
const FENCE_OPEN = /^[ \t]*(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
// raw HTML whose content is not prose: dropped up to its closing tag
const RAW_HTML_OPEN = /^ {0,3}<(script|style|textarea)(?:[\s>]|$)/i;
// a line holding nothing but tags (`<div class="options-api">`, `</div>`, `<VueSchoolLink ... />`)
const TAG_ONLY = /^ {0,3}(?:<\/?[A-Za-z][\w.:-]*(?:\s[^<>]*)?\/?>\s*)+$/;
const COMMENT_OPEN = /^ {0,3}<!--/;

function splitLines(source: string, from: number): Line[] {
  const lines: Line[] = [];
  let start = from;
  while (start <= source.length) {
    let nl = source.indexOf('\n', start);
    if (nl === -1) nl = source.length;
    let end = nl;
    if (end > start && source.charCodeAt(end - 1) === 13) end--;
    lines.push({ text: source.slice(start, end), start, end });
    if (nl === source.length) break;
    start = nl + 1;
  }
  return lines;
}

/** Cleans a heading for display: VitePress `{#anchor}`, inline code ticks, links, tags. */
export function cleanHeading(raw: string): string {
  return raw
    .replace(/\s*\{#[^}]*\}\s*$/, '')
    .replace(/<[^>]+>/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Index of the line closing the fence opened at `open`, or the last line when it never closes. */
function fenceEnd(lines: Line[], open: number, marker: string): number {
  const closing = new RegExp(`^[ \\t]*${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
  for (let i = open + 1; i < lines.length; i++) if (closing.test(lines[i].text)) return i;
  return lines.length - 1;
}

function untilLineMatching(lines: Line[], from: number, pattern: RegExp): number {
  for (let i = from; i < lines.length; i++) if (pattern.test(lines[i].text)) return i;
  return lines.length - 1;
}

function startsBlock(text: string): boolean {
  return FENCE_OPEN.test(text) || HEADING.test(text) || RAW_HTML_OPEN.test(text) || COMMENT_OPEN.test(text) || TAG_ONLY.test(text);
}

function isFenceOpen(text: string): RegExpExecArray | null {
  const m = FENCE_OPEN.exec(text);
  // a backtick fence's info string may not contain backticks (CommonMark), so ```js``` is inline code
  return m && !(m[1][0] === '`' && m[2].includes('`')) ? m : null;
}

/** Scans Markdown (after front matter) into blocks; HTML-only lines and comments are dropped. */
export function scanBlocks(source: string, from = 0): Block[] {
  const lines = splitLines(source, from);
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.text.trim() === '') { i++; continue; }
    const fence = isFenceOpen(line.text);
    if (fence) {
      const close = fenceEnd(lines, i, fence[1]);
      blocks.push({ kind: 'code', start: line.start, end: lines[close].end });
      i = close + 1;
      continue;
    }
    const heading = HEADING.exec(line.text);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1].length, text: cleanHeading(heading[2] ?? ''), start: line.start, end: line.end });
      i++;
      continue;
    }
    const raw = RAW_HTML_OPEN.exec(line.text);
    if (raw) { i = untilLineMatching(lines, i, new RegExp(`</${raw[1]}>`, 'i')) + 1; continue; }
    if (COMMENT_OPEN.test(line.text)) { i = untilLineMatching(lines, i, /-->/) + 1; continue; }
    if (TAG_ONLY.test(line.text)) { i++; continue; }
    let last = i;
    while (last + 1 < lines.length && lines[last + 1].text.trim() !== '' && !startsBlock(lines[last + 1].text)) last++;
    blocks.push({ kind: 'text', start: line.start, end: lines[last].end });
    i = last + 1;
  }
  return blocks;
}

/** YAML front matter between `---` lines at the very top; `body` is where the Markdown starts. */
export function readFrontMatter(source: string): { data: Record<string, unknown>; body: number } {
  const bom = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const open = /^---[ \t]*\r?\n/.exec(source.slice(bom, bom + 8));
  if (!open) return { data: {}, body: bom };
  const from = bom + open[0].length;
  const close = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;
  close.lastIndex = 0;
  const rest = source.slice(from);
  const m = close.exec(rest);
  if (!m) return { data: {}, body: bom };
  const yamlText = rest.slice(0, m.index);
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = parseYaml(yamlText);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  } catch {
    // broken front matter is metadata lost, not a reason to refuse the page
  }
  return { data, body: from + m.index + m[0].length };
}
