/**
 * Sentence splitting for extractive summaries and cited answers, in English and Chinese.
 * Markdown structure decides first: a fenced code block, a list item, a table row and a
 * heading are each one unit; only prose paragraphs are cut into sentences.
 */

// words whose trailing period does not end a sentence (lower-cased, without the final '.')
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'vs', 'cf', 'al', 'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'fig', 'no', 'approx', 'incl', 'resp', 'jr', 'sr', 'a.k.a', 'viz']);
const FENCE = /^[ \t]*(`{3,}|~{3,})/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+/;
const TABLE_ROW = /^ {0,3}\|/;
const HEADING = /^ {0,3}#{1,6}[ \t]/;
const CONTAINER = /^ {0,3}:::+\s*([\w-]*)\s*(.*)$/;
const CJK_CHAR = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
// Chinese/Japanese sentence ends, with closing quotes or brackets that belong to the sentence
const CJK_END = /^(?:[。！？；]+|[!?]+|…+|⋯+)[”’」』）)》〉"']*/;
const LATIN_END = /^[.!?]+["'”’)\]]*/;

/** Joins a paragraph's soft line breaks: a space between Latin words, nothing between CJK. */
function joinLines(lines: string[]): string {
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
function splitProse(text: string): string[] {
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

function flushParagraph(lines: string[], out: string[]): void {
  if (lines.length === 0) return;
  out.push(...splitProse(joinLines(lines)));
  lines.length = 0;
}

/**
 * Sentences of `text` in order. English ends at . ! ? before a capital (not after "e.g.",
 * "i.e.", initials, or inside "v1.2", "3.14", URLs, file names); Chinese at 。！？； and …
 * Fenced code blocks, list items, table rows and headings come back whole.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const paragraph: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      flushParagraph(paragraph, out);
      let close = i + 1;
      const closing = new RegExp(`^[ \\t]*${fence[1][0] === '`' ? '`' : '~'}{${fence[1].length},}\\s*$`);
      while (close < lines.length && !closing.test(lines[close])) close++;
      out.push(lines.slice(i, Math.min(close + 1, lines.length)).join('\n'));
      i = close;
      continue;
    }
    if (line.trim() === '') { flushParagraph(paragraph, out); continue; }
    const container = CONTAINER.exec(line);
    if (container) {
      flushParagraph(paragraph, out);
      if (container[2]) out.push(container[2].trim()); // the container's title, e.g. "::: tip Note"
      continue;
    }
    if (LIST_ITEM.test(line) || TABLE_ROW.test(line) || HEADING.test(line)) {
      flushParagraph(paragraph, out);
      // a list item's continuation lines (indented, no marker) belong to it
      let last = i;
      while (LIST_ITEM.test(line) && last + 1 < lines.length && /^\s{2,}\S/.test(lines[last + 1]) && !LIST_ITEM.test(lines[last + 1])) last++;
      out.push(joinLines(lines.slice(i, last + 1)));
      i = last;
      continue;
    }
    paragraph.push(line);
  }
  flushParagraph(paragraph, out);
  return out;
}
