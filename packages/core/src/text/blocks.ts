/**
 * The one Markdown block model: every part of promptloom that needs to know where code, prose,
 * headings, tables and containers are (chunking, sentences, language detection, the
 * translation segmenter, extractive answers) reads this, so "is this line code?" has one answer.
 *
 * Parsing is markdown-it's (CommonMark-compliant, with GFM tables; markdown-it-container reads
 * VitePress `::: tip` containers as VitePress itself does, since VitePress renders with
 * markdown-it). The tokens become a flat list of leaf blocks with source offsets: a block spans
 * whole lines, from the start of its first line (list markers, `>` and indentation included) to
 * the end of its last line (line break excluded).
 */
import MarkdownIt from 'markdown-it';
import container from 'markdown-it-container';
import { parse as parseYaml } from 'yaml';

type Token = ReturnType<MarkdownIt['parse']>[number];

export type BlockKind = 'heading' | 'paragraph' | 'code' | 'table' | 'html' | 'container' | 'rule';

export interface TableRow {
  cells: string[];
  header: boolean;
  line: number;
  start: number;
  end: number;
}

export interface MdBlock {
  kind: BlockKind;
  /** [start, end) source offsets: start of the first line to the end of the last (line break excluded) */
  start: number;
  end: number;
  /** 0-based lines [line, endLine) */
  line: number;
  endLine: number;
  /** heading level 1-6 */
  level?: number;
  /**
   * heading: display text (code marks, links, tags, escapes and `{#anchor}` resolved);
   * paragraph: its inline text with markup resolved, inline code kept in backticks, soft line
   * breaks as '\n'; container: its title ("::: tip Note" -> "Note")
   */
  text?: string;
  /** code: the fence's info string; container: its name ('' for a closing `:::`) */
  info?: string;
  /** code: fenced (``` ~~~) rather than indented or <pre> */
  fenced?: boolean;
  /** code: a fence with its closing line (an unclosed fence runs to the end of its container) */
  closed?: boolean;
  /** code: the code itself, without fences */
  content?: string;
  /** paragraph: the first paragraph of a list item (it starts with the item's marker) */
  item?: boolean;
  /** ids of the lists it is inside, outermost first (each list has its own id) */
  lists?: number[];
  /** inside a block quote */
  quote?: boolean;
  /** html: content that is not prose (script, style, textarea, comment) */
  raw?: boolean;
  /** table rows, header first */
  rows?: TableRow[];
}

export interface LineSpan { start: number; end: number }

export interface MarkdownModel {
  source: string;
  lines: LineSpan[];
  /** YAML front matter at the very top: its data (broken YAML gives {}) and the lines it covers */
  frontMatter?: { data: Record<string, unknown>; endLine: number; end: number };
  blocks: MdBlock[];
}

let parser: MarkdownIt | undefined;

function markdownIt(): MarkdownIt {
  // html: raw HTML blocks are recognised as such (not prose); linkify and typography stay off
  // (the plugin's types resolve to markdown-it's CommonJS typings, hence the cast)
  parser ??= new MarkdownIt({ html: true, linkify: false, typographer: false }).use(container as unknown as Parameters<MarkdownIt['use']>[0], 'any', { validate: () => true });
  return parser;
}

/** Line spans of `source`; \r\n, \n and \r end a line, as markdown-it counts them. */
export function lineSpans(source: string): LineSpan[] {
  const lines: LineSpan[] = [];
  for (const m of source.matchAll(/([^\r\n]*)(\r\n|\n|\r|$)/g)) {
    if (m[0] === '' && m.index === source.length && lines.length > 0) break;
    lines.push({ start: m.index, end: m.index + m[1].length });
    if (m[2] === '') break;
  }
  return lines;
}

/** YAML front matter between `---` lines at the very top; `body` is where the Markdown starts. */
export function readFrontMatter(source: string): { data: Record<string, unknown>; body: number } {
  const bom = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const open = /^---[ \t]*\r?\n/.exec(source.slice(bom, bom + 8));
  if (!open) return { data: {}, body: bom };
  const from = bom + open[0].length;
  const rest = source.slice(from);
  const m = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m.exec(rest);
  if (!m) return { data: {}, body: bom };
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = parseYaml(rest.slice(0, m.index));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  } catch {
    // broken front matter is metadata lost, not a reason to refuse the page
  }
  return { data, body: from + m.index + m[0].length };
}

function backticked(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${code} ${fence}` : `${fence}${code}${fence}`;
}

/** Inline tokens as text: links keep their text, images their alt text, tags and emphasis marks go. */
export function inlineText(children: Token[] | null, code: 'ticks' | 'bare' | 'drop' = 'ticks'): string {
  let out = '';
  for (const t of children ?? []) {
    if (t.type === 'text') out += t.content;
    else if (t.type === 'code_inline') out += code === 'ticks' ? backticked(t.content) : code === 'bare' ? t.content : ' ';
    else if (t.type === 'softbreak' || t.type === 'hardbreak') out += '\n';
    else if (t.type === 'image') out += inlineText(t.children, code);
  }
  return out;
}

/** A heading's display text: `{#anchor}` and Vue's trailing API-preference marks (`\*`, `\*\*`) dropped. */
export function headingText(children: Token[] | null): string {
  return inlineText(children, 'bare')
    .replace(/\s*\{#[^}]*\}\s*$/, '')
    .replace(/\s+\*+\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const RAW_HTML = /^ {0,3}<(?:script|style|textarea|!--)(?:[\s>]|$)/i;
const PRE_HTML = /^ {0,3}<pre(?:[\s>]|$)/i;
const TAG = /<\/?[A-Za-z][\w.:-]*(?:\s[^<>]*)?\/?>|<!--[\s\S]*?-->/g;
const CONTAINER_CLOSE = /^ {0,3}:{3,}[ \t]*$/;

interface Walk {
  model: MarkdownModel;
  lists: number[];
  listCount: number;
  quote: number;
  table?: MdBlock;
  thead: boolean;
  /** line of each open container's closing `:::`, or -1 when it is never closed */
  pendingClose: number[];
}

function span(w: Walk, line: number, endLine: number): { start: number; end: number; line: number; endLine: number } {
  const last = Math.max(line, endLine - 1);
  return { start: w.model.lines[line]?.start ?? 0, end: w.model.lines[last]?.end ?? 0, line, endLine: last + 1 };
}

function push(w: Walk, block: MdBlock): void {
  if (w.lists.length > 0) block.lists = [...w.lists];
  if (w.quote > 0) block.quote = true;
  w.model.blocks.push(block);
}

/** An HTML block: raw content dropped whole; otherwise its lines of text are prose, tag-only lines markup. */
function htmlBlock(w: Walk, t: Token): void {
  const [from, to] = t.map!;
  const first = w.model.source.slice(w.model.lines[from].start, w.model.lines[from].end);
  if (PRE_HTML.test(first)) { push(w, { kind: 'code', ...span(w, from, to), fenced: false, info: 'html', content: t.content }); return; }
  if (RAW_HTML.test(first)) { push(w, { kind: 'html', ...span(w, from, to), raw: true }); return; }
  let run: number | undefined;
  const flush = (end: number) => {
    if (run === undefined) return;
    const s = span(w, run, end);
    const text = w.model.source.slice(s.start, s.end).replace(TAG, '').split(/\r?\n|\r/).map((l) => l.trim()).join('\n').trim();
    push(w, { kind: 'paragraph', ...s, text });
    run = undefined;
  };
  for (let k = from; k < to; k++) {
    const line = w.model.source.slice(w.model.lines[k].start, w.model.lines[k].end);
    const prose = line.replace(TAG, '').trim() !== '';
    if (prose) { run ??= k; continue; }
    flush(k);
    if (line.trim()) push(w, { kind: 'html', ...span(w, k, k + 1) });
  }
  flush(to);
}

function containerOpen(w: Walk, t: Token): void {
  const [name, ...title] = t.info.trim().split(/\s+/);
  push(w, { kind: 'container', ...span(w, t.map![0], t.map![0] + 1), info: name ?? '', text: title.join(' ') });
  const close = t.map![1];
  const line = w.model.lines[close];
  w.pendingClose.push(line && CONTAINER_CLOSE.test(w.model.source.slice(line.start, line.end)) ? close : -1);
}

function visit(w: Walk, tokens: Token[], i: number): void {
  const t = tokens[i];
  const map = t.map;
  switch (t.type) {
    case 'heading_open':
      push(w, { kind: 'heading', ...span(w, map![0], map![1]), level: Number(t.tag.slice(1)), text: headingText(tokens[i + 1].children) });
      return;
    case 'paragraph_open': {
      const item = tokens[i - 1]?.type === 'list_item_open';
      if (!w.table) push(w, { kind: 'paragraph', ...span(w, map![0], map![1]), text: inlineText(tokens[i + 1].children), ...(item ? { item } : {}) });
      return;
    }
    case 'fence': {
      const s = span(w, map![0], map![1]);
      const last = w.model.source.slice(s.start, s.end).split(/\r?\n|\r/).pop() ?? '';
      const closed = map![1] - map![0] > 1 && new RegExp(`^\\s*${t.markup[0] === '`' ? '`' : '~'}{${t.markup.length},}\\s*$`).test(last);
      push(w, { kind: 'code', ...s, fenced: true, closed, info: t.info.trim(), content: t.content });
      return;
    }
    case 'code_block':
      push(w, { kind: 'code', ...span(w, map![0], map![1]), fenced: false, info: '', content: t.content });
      return;
    case 'html_block':
      htmlBlock(w, t);
      return;
    case 'hr':
      push(w, { kind: 'rule', ...span(w, map![0], map![1]) });
      return;
    case 'bullet_list_open':
    case 'ordered_list_open':
      w.lists.push(++w.listCount);
      return;
    case 'bullet_list_close':
    case 'ordered_list_close':
      w.lists.pop();
      return;
    case 'blockquote_open': w.quote++; return;
    case 'blockquote_close': w.quote--; return;
    case 'container_any_open': containerOpen(w, t); return;
    case 'container_any_close': {
      const close = w.pendingClose.pop() ?? -1;
      if (close >= 0) push(w, { kind: 'container', ...span(w, close, close + 1), info: '', text: '' });
      return;
    }
    default:
      tableToken(w, tokens, i);
  }
}

function tableToken(w: Walk, tokens: Token[], i: number): void {
  const t = tokens[i];
  if (t.type === 'table_open') {
    w.table = { kind: 'table', ...span(w, t.map![0], t.map![1]), rows: [] };
    push(w, w.table);
  } else if (t.type === 'table_close') w.table = undefined;
  else if (t.type === 'thead_open') w.thead = true;
  else if (t.type === 'thead_close') w.thead = false;
  else if (t.type === 'tr_open' && w.table) {
    const cells: string[] = [];
    for (let k = i + 1; k < tokens.length && tokens[k].type !== 'tr_close'; k++) if (tokens[k].type === 'inline') cells.push(inlineText(tokens[k].children).trim());
    w.table.rows!.push({ cells, header: w.thead, ...span(w, t.map![0], t.map![1]) });
  }
}

/**
 * Parses Markdown once into leaf blocks with offsets. Front matter (YAML between `---` lines at
 * the top) is read apart and never parsed as Markdown.
 */
export function parseMarkdown(source: string): MarkdownModel {
  const lines = lineSpans(source);
  const model: MarkdownModel = { source, lines, blocks: [] };
  const { data, body } = readFrontMatter(source);
  let text = source;
  if (body > 0 && source.slice(0, body).includes('\n')) {
    const endLine = lines.findIndex((l) => l.start >= body);
    const fmLines = endLine < 0 ? lines.length : endLine;
    model.frontMatter = { data, endLine: fmLines, end: body };
    // blank lines in place of the front matter keep markdown-it's line numbers equal to ours
    text = '\n'.repeat(fmLines) + source.slice(body);
  }
  const tokens = markdownIt().parse(text, {});
  const w: Walk = { model, lists: [], listCount: 0, quote: 0, thead: false, pendingClose: [] };
  for (let i = 0; i < tokens.length; i++) visit(w, tokens, i);
  return model;
}

/** The source of a block. */
export function blockSource(model: MarkdownModel, block: { start: number; end: number }): string {
  return model.source.slice(block.start, block.end);
}

/** The prose of a document, block by block: headings, paragraphs, table cells, container titles; no code blocks or raw HTML. */
export function proseText(model: MarkdownModel): string {
  const out: string[] = [];
  for (const b of model.blocks) {
    if (b.kind === 'heading') out.push(blockSource(model, b).replace(/^\s*#+\s*|\s+#+\s*$/g, ''));
    else if (b.kind === 'paragraph' || b.kind === 'container') out.push(b.text ?? '');
    else if (b.kind === 'table') for (const row of b.rows!) out.push(row.cells.join(' '));
  }
  return out.join('\n');
}
