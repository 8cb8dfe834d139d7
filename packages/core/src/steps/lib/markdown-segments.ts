/*
 * Markdown for translation: the document becomes protected parts (code blocks, front-matter
 * keys, table rules, blank lines, list and heading markers) and text units. Inside a unit,
 * inline code, link targets, URLs, HTML tags and template expressions become placeholders
 * ⟦n⟧, so the model sees only prose. Reassembly puts every protected byte back where it was.
 */

export type Escape = 'yaml-plain' | 'yaml-double' | 'yaml-single';

export type Part =
  | { kind: 'keep'; text: string }
  | { kind: 'unit'; unit: number };

export interface Unit {
  /** text with placeholders, as sent to the model */
  text: string;
  /** placeholder numbers in this unit, in order */
  slots: number[];
  escape?: Escape;
}

export interface Segmented {
  parts: Part[];
  units: Unit[];
  /** placeholder number -> the protected text it stands for */
  tokens: Map<number, string>;
}

export interface SegmentOptions {
  /** glossary terms to keep exactly as written */
  keep?: string[];
}

export const OPEN = '⟦';
export const CLOSE = '⟧';
/** lenient: a model may add spaces inside the brackets */
export const PLACEHOLDER = /⟦\s*(\d+)\s*⟧/g;

const INLINE_PATTERNS = [
  /(`+)(?!`)[\s\S]*?[^`]\1(?!`)/.source, // inline code
  /<!--[\s\S]*?-->/.source,
  /<(?:https?|ftp|mailto):[^\s>]+>/.source, // autolink
  /<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*?)?\/?>/.source, // HTML tag
  /\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/.source, // ](target "title")
  /\]\[[^\]\n]*\]/.source, // ][reference]
  /\[\^[^\]\n]+\]/.source, // footnote [^1]
  /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/.source, // template expressions
  /(?:https?|ftp):\/\/[^\s<>()[\]"'`]*[^\s<>()[\]"'`.,;:!?。，；：！？、）]/.source, // bare URL
  /&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});/.source, // HTML entity
];

const FRONT_MATTER_TEXT_KEYS = new Set(['title', 'description', 'summary', 'subtitle', 'excerpt', 'sidebar_label', 'caption']);

class Builder {
  parts: Part[] = [];
  units: Unit[] = [];
  tokens = new Map<number, string>();
  private inline: RegExp;

  constructor(keep: string[]) {
    const terms = keep.filter((t) => t.trim()).sort((a, b) => b.length - a.length).map(termPattern);
    this.inline = new RegExp([...INLINE_PATTERNS, ...terms].join('|'), 'g');
  }

  keep(text: string): void {
    if (!text) return;
    const last = this.parts[this.parts.length - 1];
    if (last?.kind === 'keep') last.text += text;
    else this.parts.push({ kind: 'keep', text });
  }

  /** Adds text as a unit (or as kept bytes when nothing in it is translatable). */
  text(raw: string, escape?: Escape): void {
    const lead = /^\s*/.exec(raw)![0];
    const trail = /\s*$/.exec(raw.slice(lead.length))![0];
    const body = raw.slice(lead.length, raw.length - trail.length);
    this.keep(lead);
    if (body) {
      const slots: number[] = [];
      const text = body.replace(this.inline, (m) => {
        // link targets and reference labels keep their "]" in the text
        const bracket = m.startsWith('](') || m.startsWith('][') ? ']' : '';
        const n = this.tokens.size + 1;
        this.tokens.set(n, m.slice(bracket.length));
        slots.push(n);
        return `${bracket}${OPEN}${n}${CLOSE}`;
      });
      if (/\p{L}/u.test(text.replace(PLACEHOLDER, ''))) {
        this.parts.push({ kind: 'unit', unit: this.units.length });
        this.units.push({ text, slots, escape });
      } else {
        for (const n of slots) this.tokens.delete(n);
        this.keep(body);
      }
    }
    this.keep(trail);
  }

  /**
   * Appends a continuation line to the unit just before the last line break, so a wrapped
   * paragraph travels as one unit (its line breaks inside) rather than as sentence halves.
   */
  extend(line: string): boolean {
    const brk = this.parts[this.parts.length - 1];
    const unitPart = this.parts[this.parts.length - 2];
    if (brk?.kind !== 'keep' || !/^[ \t]*(\r\n|\n|\r)$/.test(brk.text) || unitPart?.kind !== 'unit') return false;
    const trail = /\s*$/.exec(line)![0];
    const scratch = new Builder([]);
    scratch.inline = this.inline;
    scratch.tokens = this.tokens;
    scratch.text(line.slice(0, line.length - trail.length));
    const only = scratch.parts.filter((p) => p.kind === 'unit');
    if (scratch.units.length !== 1 || only.length !== 1 || scratch.parts.length !== 1) {
      for (const u of scratch.units) for (const n of u.slots) this.tokens.delete(n);
      return false;
    }
    const unit = this.units[unitPart.unit];
    unit.text += brk.text + scratch.units[0].text;
    unit.slots.push(...scratch.units[0].slots);
    this.parts.pop();
    this.keep(trail);
    return true;
  }
}

function termPattern(term: string): string {
  const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Latin terms match whole words only; CJK has no word boundaries to match
  return /^[\w]/.test(term) && /[\w]$/.test(term) ? `\\b${escaped}\\b` : escaped;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})/;
const HTML_BLOCK = /^ {0,3}<(!--|pre|script|style|textarea)\b/i;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const HR = /^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$/;
const REF_DEF = /^ {0,3}\[[^\]]+\]:\s*\S/;
const PREFIX = /^[ \t]*(?:>[ \t]?)*[ \t]*(?:#{1,6}[ \t]+|(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?)?/;

function splitLines(source: string): { body: string; eol: string }[] {
  const out: { body: string; eol: string }[] = [];
  for (const m of source.matchAll(/([^\r\n]*)(\r\n|\n|\r|$)/g)) {
    if (m[0] === '' && m.index === source.length) break;
    out.push({ body: m[1], eol: m[2] });
  }
  return out;
}

/** Splits a Markdown document into kept bytes and translatable units. */
export function segmentMarkdown(source: string, options: SegmentOptions = {}): Segmented {
  const b = new Builder(options.keep ?? []);
  const lines = splitLines(source);
  let i = frontMatter(lines, b);
  let listContext = false;
  let paragraphOpen = false;
  while (i < lines.length) {
    const { body, eol } = lines[i];
    const start = i;
    const fence = FENCE.exec(body);
    if (fence) i = skipFence(lines, i, fence[2]);
    else if (HTML_BLOCK.test(body)) i = skipHtml(lines, i);
    else if (/^(?: {4}|\t)/.test(body) && !listContext && (i === 0 || lines[i - 1].body.trim() === '')) i = skipIndented(lines, i);
    if (i > start) {
      for (let k = start; k < i; k++) b.keep(lines[k].body + lines[k].eol);
      paragraphOpen = false;
      continue;
    }
    i++;
    if (body.trim() === '' || HR.test(body) || REF_DEF.test(body) || TABLE_RULE.test(body)) {
      b.keep(body + eol);
      if (body.trim() !== '') listContext = false;
      paragraphOpen = false;
      continue;
    }
    if (isTableRow(body, lines[i]?.body)) {
      tableRow(body, b);
      b.keep(eol);
      paragraphOpen = false;
      continue;
    }
    const prefix = PREFIX.exec(body)![0];
    const content = body.slice(prefix.length);
    if (prefix.trim()) listContext = /[-*+\d]/.test(prefix.trim()[0]) || listContext;
    else if (!/^\s/.test(body)) listContext = false;
    const hardBreak = / {2,}$|\\$/.test(body);
    if (paragraphOpen && prefix === '' && b.extend(content)) {
      b.keep(eol);
    } else {
      b.keep(prefix);
      b.text(content);
      b.keep(eol);
    }
    // only plain, unindented lines continue a paragraph; headings and items stand alone
    paragraphOpen = prefix === '' && !hardBreak;
  }
  return { parts: b.parts, units: b.units, tokens: b.tokens };
}

function frontMatter(lines: { body: string; eol: string }[], b: Builder): number {
  if (lines.length === 0 || lines[0].body !== '---') return 0;
  const end = lines.findIndex((l, k) => k > 0 && (l.body === '---' || l.body === '...'));
  if (end < 0) return 0;
  b.keep(lines[0].body + lines[0].eol);
  for (let k = 1; k < end; k++) {
    const { body, eol } = lines[k];
    const m = /^([A-Za-z0-9_-]+)(:[ \t]+)(.*?)([ \t]*)$/.exec(body);
    if (m && FRONT_MATTER_TEXT_KEYS.has(m[1]) && m[3]) {
      b.keep(m[1] + m[2]);
      frontMatterValue(m[3], b);
      b.keep(m[4] + eol);
    } else b.keep(body + eol);
  }
  b.keep(lines[end].body + lines[end].eol);
  return end + 1;
}

function frontMatterValue(value: string, b: Builder): void {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  if (quoted) {
    b.keep(quoted[1]);
    b.text(quoted[2], quoted[1] === '"' ? 'yaml-double' : 'yaml-single');
    b.keep(quoted[1]);
  } else if (/^[[{&*!|>%@`#]/.test(value)) b.keep(value);
  else b.text(value, 'yaml-plain');
}

function skipFence(lines: { body: string }[], i: number, marker: string): number {
  for (let k = i + 1; k < lines.length; k++) {
    const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[k].body);
    if (close && close[1][0] === marker[0] && close[1].length >= marker.length) return k + 1;
  }
  return lines.length; // an unclosed fence runs to the end, as in CommonMark
}

function skipHtml(lines: { body: string }[], i: number): number {
  const tag = HTML_BLOCK.exec(lines[i].body)![1].toLowerCase();
  const end = tag === '!--' ? '-->' : `</${tag}>`;
  for (let k = i; k < lines.length; k++) if (lines[k].body.toLowerCase().includes(end)) return k + 1;
  return lines.length;
}

function skipIndented(lines: { body: string }[], i: number): number {
  let k = i;
  while (k < lines.length && (/^(?: {4}|\t)/.test(lines[k].body) || (lines[k].body.trim() === '' && /^(?: {4}|\t)/.test(lines[k + 1]?.body ?? '')))) k++;
  return k;
}

function isTableRow(body: string, next: string | undefined): boolean {
  const t = body.trim();
  return (t.startsWith('|') && t.length > 1) || (t.includes('|') && next !== undefined && TABLE_RULE.test(next) && next.includes('-'));
}

function tableRow(body: string, b: Builder): void {
  // split on pipes outside inline code; escaped pipes (\|) stay inside their cell
  const cells: string[] = [];
  let cur = '';
  let inCode = false;
  for (let k = 0; k < body.length; k++) {
    const c = body[k];
    if (c === '`') inCode = !inCode;
    if (c === '|' && !inCode && body[k - 1] !== '\\') { cells.push(cur); cur = ''; continue; }
    cur += c;
  }
  cells.push(cur);
  cells.forEach((cell, k) => {
    if (k > 0) b.keep('|');
    b.text(cell);
  });
}

/** Plain text: paragraphs (split at blank lines) are the units; URLs and kept terms are protected. */
export function segmentPlainText(source: string, options: SegmentOptions = {}): Segmented {
  const b = new Builder(options.keep ?? []);
  for (const piece of source.split(/(\r?\n[ \t]*\r?\n\s*)/)) {
    if (/^\s*$/.test(piece)) b.keep(piece);
    else b.text(piece);
  }
  return { parts: b.parts, units: b.units, tokens: b.tokens };
}

/** Placeholder numbers in a text, in order (lenient about spaces inside the brackets). */
export function placeholdersIn(text: string): number[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => Number(m[1]));
}

/** Puts translated units and every protected byte back together. */
export function reassemble(seg: Segmented, translated: string[]): string {
  let out = '';
  for (const part of seg.parts) {
    if (part.kind === 'keep') { out += part.text; continue; }
    const unit = seg.units[part.unit];
    let text = translated[part.unit].replace(PLACEHOLDER, (_m, n: string) => seg.tokens.get(Number(n)) ?? _m);
    text = unit.text.includes('\n') ? text : text.replace(/\s*\n\s*/g, ' ');
    out += escapeFor(text.trim(), unit.escape);
  }
  return out;
}

function escapeFor(text: string, escape: Escape | undefined): string {
  if (escape === 'yaml-double') return JSON.stringify(text).slice(1, -1);
  if (escape === 'yaml-single') return text.replace(/'/g, "''");
  // a plain YAML scalar may not hold ": ", " #", or start with an indicator: quote it then
  if (escape === 'yaml-plain' && (/:\s|\s#|:$/.test(text) || /^[-?:,[\]{}#&*!|>'"%@`]/.test(text))) return JSON.stringify(text);
  return text;
}
