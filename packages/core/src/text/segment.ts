/**
 * Word tokenisation for indexing, queries and the local embedder.
 *
 * Intl.Segmenter (ICU word boundaries, with ICU's dictionary for Chinese/Japanese) does the
 * real work, but its cost per character grows with the input length, so text is cut into
 * pieces of at most PIECE_CHARS at newlines, whitespace or punctuation first. Pieces that are
 * pure ASCII skip the segmenter: a regular expression implementing the same UAX #29 rules for
 * ASCII is over ten times faster and gives identical tokens (checked in segment.test.ts).
 */

/** Figures behind this choice are in docs/text.md (per-char cost rises with piece length). */
export const PIECE_CHARS = 256;

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

// UAX #29 for ASCII: letters join across ':', '.', "'" (MidLetter/MidNumLet); digits across
// ',', ';', '.', "'" (MidNum/MidNumLet); letters, digits and '_' join directly.
const ASCII_WORD = /[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z])[:.'](?=[A-Za-z])|(?<=[0-9])[,;.'](?=[0-9]))[A-Za-z0-9_]+)*/g;
const NON_ASCII = /[^\x00-\x7f]/;
const BOUNDARY = /[\s\p{P}]/u;
// an identifier worth splitting: camelCase, PascalCase with a lower-case run, snake_case
const IDENTIFIER = /[a-z][A-Z]|[A-Z]{2}[a-z]|[A-Za-z0-9]_[A-Za-z0-9]/;
const IDENTIFIER_PART = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g;

/**
 * Cuts `text` into pieces of at most `max` UTF-16 units, preferring a newline, then any
 * whitespace or punctuation in the second half of the window; never inside a surrogate pair.
 */
export function splitPieces(text: string, max = PIECE_CHARS): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    if (end < text.length) end = findCut(text, start, end);
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

function findCut(text: string, start: number, end: number): number {
  const floor = start + Math.floor((end - start) / 2);
  // look for the newline in the window only: lastIndexOf over the whole text, for every piece of
  // a long text without newlines, made tokenizing quadratic (2 MB: 2.2 s)
  const newline = text.slice(floor, end).lastIndexOf('\n');
  if (newline >= 0) return floor + newline + 1;
  for (let i = end - 1; i >= floor; i--) {
    if (BOUNDARY.test(text[i])) return i + 1;
  }
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

export function pushWord(out: string[], word: string): void {
  out.push(word.toLowerCase());
  // `defineComponent` also yields `define` and `component`, so "define a component" finds it;
  // the whole identifier is kept too, so an exact API name still ranks first.
  if (word.length > 3 && IDENTIFIER.test(word)) {
    const parts = word.match(IDENTIFIER_PART);
    if (parts && parts.length > 1) for (const part of parts) if (part.length > 1) out.push(part.toLowerCase());
  }
}

const ALL_UNDERSCORES = /^_+$/; // ICU does not count a lone '_' as a word

function asciiWords(text: string, out: string[]): void {
  for (const match of text.matchAll(ASCII_WORD)) if (!ALL_UNDERSCORES.test(match[0])) pushWord(out, match[0]);
}

function segmentWords(text: string, out: string[]): void {
  for (const segment of segmenter.segment(text)) {
    if (segment.isWordLike) pushWord(out, segment.segment);
  }
}

/** Pure-ASCII lines (code in a Chinese page) take the fast path; the rest go to the segmenter. */
function tokenizePiece(piece: string, out: string[]): void {
  if (!NON_ASCII.test(piece)) return asciiWords(piece, out);
  let runStart = 0;
  let runAscii: boolean | undefined;
  let lineStart = 0;
  while (lineStart < piece.length) {
    const newline = piece.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? piece.length : newline + 1;
    const line = piece.slice(lineStart, lineEnd);
    // lines without letters or digits (blank, "```") join whichever run they are in
    const ascii = NON_ASCII.test(line) ? false : /[A-Za-z0-9]/.test(line) ? true : runAscii ?? true;
    if (runAscii !== undefined && ascii !== runAscii) {
      (runAscii ? asciiWords : segmentWords)(piece.slice(runStart, lineStart), out);
      runStart = lineStart;
    }
    runAscii = ascii;
    lineStart = lineEnd;
  }
  (runAscii ? asciiWords : segmentWords)(piece.slice(runStart), out);
}

/**
 * Lower-cased word tokens (NFKC-normalised) via Intl.Segmenter: Chinese and Japanese come out
 * as dictionary words, code identifiers as themselves plus their camelCase/snake_case parts.
 * Pure: no stopword removal (see `isStopword`).
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  if (!text) return out;
  const normalized = NON_ASCII.test(text) ? text.normalize('NFKC') : text;
  for (const piece of splitPieces(normalized)) tokenizePiece(piece, out);
  return out;
}

// a CJK run, or a word of other letters/digits joined as in UAX #29 (CJK excluded from "letters")
const LETTER = '[^\\P{L}\\u3040-\\u30ff\\u3400-\\u9fff\\uf900-\\ufaff]';
const SCAN = new RegExp(
  `([\\u3040-\\u30ff\\u3400-\\u9fff\\uf900-\\ufaff]+)|(?:${LETTER}|[\\p{N}\\p{M}_])+(?:(?:(?<=${LETTER})[:.'’](?=${LETTER})|(?<=\\p{N})[,;.'’](?=\\p{N}))(?:${LETTER}|[\\p{N}\\p{M}_])+)*`,
  'gu',
);

/**
 * A fast scan without the segmenter, for the local embedder: `onWord` gets each non-CJK word
 * (lower-cased, identifiers also split, as in `tokenize`), `onCjk` each whole run of Han/kana
 * characters, which the embedder turns into character n-grams instead of dictionary words.
 */
export function scanWords(text: string, onWord: (word: string) => void, onCjk: (run: string) => void): void {
  const normalized = NON_ASCII.test(text) ? text.normalize('NFKC') : text;
  const words: string[] = [];
  for (const match of normalized.matchAll(SCAN)) {
    if (match[1]) { onCjk(match[1]); continue; }
    if (ALL_UNDERSCORES.test(match[0])) continue;
    pushWord(words, match[0]);
    for (const word of words) onWord(word);
    words.length = 0;
  }
}

/**
 * Tokens joined by single spaces: the text given to the FTS5 index (unicode61 tokenizer) and
 * to FTS queries, so that Chinese words become separate FTS tokens.
 */
export function segmentForIndex(text: string): string {
  return tokenize(text).join(' ');
}

const EN_STOPWORDS = new Set(
  ('a an and are as at be but by can do does for from had has have how i if in into is it its me my no not of on or ' +
    'our so than that the their them then there these they this to was we were what when where which who why will ' +
    'with would you your about after all also any been before being between both did each few more most other ' +
    'over own same should some such through under until up very just only out')
    .split(' '),
);
const ZH_STOPWORDS = new Set('的 了 是 在 和 与 及 或 也 都 就 而 把 被 对 从 向 这 那 这个 那个 一个 我们 你 我 他 它 吗 呢 吧 啊 么 什么 怎么 如何 为什么 可以 使用'.split(' '));

/** English and common Chinese function words; for callers that want them out of queries. */
export function isStopword(token: string): boolean {
  return EN_STOPWORDS.has(token) || ZH_STOPWORDS.has(token);
}
