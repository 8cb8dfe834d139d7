/**
 * Sentence splitting for extractive summaries and cited answers, in English and Chinese.
 * Markdown structure decides first: a fenced code block, a list item, a table row and a
 * heading are each one unit (see blocks.ts); only prose paragraphs are cut into sentences.
 */
import { blockSource, type MdBlock, parseMarkdown } from './blocks.js';

// words whose trailing period does not end a sentence (lower-cased, without the final '.')
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'vs', 'cf', 'al', 'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'fig', 'no', 'approx', 'incl', 'resp', 'jr', 'sr', 'a.k.a', 'viz']);
const CJK_CHAR = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
// Chinese/Japanese sentence ends, with closing quotes or brackets that belong to the sentence
const CJK_END = /^(?:[。！？；]+|[!?]+|…+|⋯+)[”’」』）)》〉"']*/;
const LATIN_END = /^[.!?]+["'”’)\]]*/;

/** Joins a paragraph's soft line breaks: a space between Latin words, nothing between CJK. */
export function joinLines(lines: string[]): string {
  let out = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (out && !(CJK_CHAR.test(out[out.length - 1]) && CJK_CHAR.test(line[0]))) out += ' ';
    out += line;
  }
  return out;
}

function endsWithAbbreviation(text: string, dot: number): boolean {
  const m = /([A-Za-z][A-Za-z.]*)$/.exec(text.slice(Math.max(0, dot - 12), dot));
  if (!m) return false;
  const word = m[1];
  // single capital initial ("J. Smith") or a known abbreviation
  return /^[A-Z]$/.test(word) || ABBREVIATIONS.has(word.toLowerCase());
}

/** Splits one prose paragraph (already joined into a single line) into sentences. */
export function splitProse(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '`') { inCode = !inCode; continue; }
    if (inCode) continue;
    // full-width ends always; half-width ! ? only right after a CJK character ("好!下一句")
    const cjk = /[。！？；…⋯]/.test(ch) || ((ch === '!' || ch === '?') && i > 0 && CJK_CHAR.test(text[i - 1])) ? CJK_END.exec(text.slice(i, i + 8)) : null;
    if (cjk) {
      const end = i + cjk[0].length;
      out.push(text.slice(start, end));
      start = end;
      i = end - 1;
      continue;
    }
    if (ch !== '.' && ch !== '!' && ch !== '?') continue;
    const latin = LATIN_END.exec(text.slice(i, i + 8))!;
    const end = i + latin[0].length;
    const next = text.slice(end, end + 3);
    // a sentence ends at the end of the text, or before whitespace and then a capital, digit,
    // quote, bracket or CJK character; "3.14", "v1.2", "file.md" and URLs have no space after the dot
    const boundary = end >= text.length || /^\s+(?:[A-Z0-9"'“‘(\[`*]|[\u3040-\u9fff])/.test(next + text.slice(end + 3, end + 6));
    if (!boundary) { i = end - 1; continue; }
    if (ch === '.' && latin[0] === '.' && endsWithAbbreviation(text, i)) { i = end - 1; continue; }
    out.push(text.slice(start, end));
    start = end;
    i = end - 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Sentences of `text` in order. English ends at . ! ? before a capital (not after "e.g.",
 * "i.e.", initials, or inside "v1.2", "3.14", URLs, file names); Chinese at 。！？； and …
 * Markdown structure comes from the block model: code blocks, list items, table rows and
 * headings come back whole; a `::: tip Title` container line gives its title.
 */
export function splitSentences(text: string): string[] {
  const model = parseMarkdown(text);
  const out: string[] = [];
  const lines = (b: MdBlock) => blockSource(model, b).split(/\r\n|\n|\r/);
  for (const b of model.blocks) {
    // code and HTML come back whole: map-reduce splits with this and must lose nothing
    if (b.kind === 'code' || b.kind === 'html' || b.kind === 'rule') out.push(blockSource(model, b));
    else if (b.kind === 'heading') out.push(joinLines(lines(b)));
    else if (b.kind === 'table') for (const row of b.rows!) out.push(model.source.slice(row.start, row.end).trim());
    else if (b.kind === 'container') { if (b.text) out.push(b.text); }
    else if (b.kind === 'paragraph') {
      if (b.item) out.push(joinLines(lines(b)));
      else out.push(...splitProse(joinLines(lines(b))));
    }
  }
  return out.filter((s) => s.length > 0);
}
