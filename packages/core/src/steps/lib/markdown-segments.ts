/*
 * Markdown for translation: the document becomes protected parts (code blocks, front-matter
 * keys, table rules, blank lines, list and heading markers) and text units. Inside a unit,
 * inline code, link targets, URLs, HTML tags and template expressions become placeholders
 * ⟦n⟧, so the model sees only prose. Reassembly puts every protected byte back where it was.
 */

import { type MarkdownModel, parseMarkdown } from '../../text/blocks.js';

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
  /** the last prose line ended with a hard line break */
  afterHardBreak = false;
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

const PREFIX = /^[ \t]*(?:>[ \t]?)*[ \t]*(?:#{1,6}[ \t]+|(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?)?/;
// a VitePress/markdown-it container line: the marker and name are markup, the title is text
const CONTAINER = /^([ \t]*:{3,}[ \t]*[\w-]*[ \t]*)(.*)$/;

type Line = { body: string; eol: string };

function splitLines(source: string): Line[] {
  const out: Line[] = [];
  for (const m of source.matchAll(/([^\r\n]*)(\r\n|\n|\r|$)/g)) {
    if (m[0] === '' && m.index === source.length) break;
    out.push({ body: m[1], eol: m[2] });
  }
  return out;
}

type Role = 'keep' | 'table' | 'container' | 'prose';

/** What each line is, from the block model: the segmenter never decides "is this code?" itself. */
function lineRoles(model: MarkdownModel): { role: (Role | undefined)[]; para: (number | undefined)[] } {
  const role: (Role | undefined)[] = [];
  const para: (number | undefined)[] = [];
  model.blocks.forEach((b, n) => {
    const r: Role = b.kind === 'code' || b.kind === 'html' || b.kind === 'rule' ? 'keep' : b.kind === 'table' ? 'table' : b.kind === 'container' ? 'container' : 'prose';
    for (let k = b.line; k < b.endLine; k++) {
      role[k] = r;
      if (b.kind === 'paragraph') para[k] = n;
    }
  });
  return { role, para };
}

/** Splits a Markdown document into kept bytes and translatable units. */
export function segmentMarkdown(source: string, options: SegmentOptions = {}): Segmented {
  const b = new Builder(options.keep ?? []);
  const lines = splitLines(source);
  const model = parseMarkdown(source);
  const { role, para } = lineRoles(model);
  let i = model.frontMatter ? frontMatter(lines, model.frontMatter.endLine, b) : 0;
  for (; i < lines.length; i++) {
    const { body, eol } = lines[i];
    const r = role[i];
    if (r === 'table' && !TABLE_RULE.test(body)) tableRow(body, b);
    else if (r === 'container') containerLine(body, b);
    else if (r !== 'prose' || body.trim() === '') b.keep(body);
    else proseLine(body, b, i > 0 && para[i] !== undefined && para[i] === para[i - 1]);
    b.keep(eol);
  }
  return { parts: b.parts, units: b.units, tokens: b.tokens };
}

const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/** A heading or paragraph line; a plain continuation line of a paragraph joins its unit. */
function proseLine(body: string, b: Builder, continues: boolean): void {
  const prefix = PREFIX.exec(body)![0];
  const content = body.slice(prefix.length);
  // a line after a hard break (two spaces, backslash) stands alone, as it reads
  const joined = continues && prefix === '' && !b.afterHardBreak && b.extend(content);
  if (!joined) {
    b.keep(prefix);
    b.text(content);
  }
  b.afterHardBreak = / {2,}$|\\$/.test(body);
}

/** `::: info See also`: the marker and name are kept, the title translated. */
function containerLine(body: string, b: Builder): void {
  const m = CONTAINER.exec(body);
  if (!m) { b.keep(body); return; }
  b.keep(m[1]);
  b.text(m[2]);
}

function frontMatter(lines: Line[], endLine: number, b: Builder): number {
  const end = endLine - 1;
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
