import type { Diagnostic } from '../errors.js';

/** Levenshtein distance, early-exiting above `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate within a distance that scales with the word's length, if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  // one- and two-letter names are too short for a guess to mean anything
  const max = word.length <= 2 ? 0 : Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDist = max + 1;
  let prefix: string | undefined;
  const list = [...candidates];
  // "retries" for "retry", "inputs" for "input": a plural of a name is that name, before any near miss
  const stems = [lower.replace(/ies$/, 'y'), lower.replace(/e?s$/, '')].filter((s) => s !== lower && s.length >= 3);
  const stem = list.find((c) => c !== word && stems.includes(c.toLowerCase()));
  if (stem) return stem;
  for (const c of list) {
    if (c === word) continue;
    const cl = c.toLowerCase();
    const d = cl === lower ? 0 : editDistance(lower, cl, max);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
    // "timeout" for "timeout_ms": a cut-short name is a likely slip too
    if (!prefix && word.length >= 4 && (cl.startsWith(lower) || lower.startsWith(cl)) && Math.min(cl.length, lower.length) >= 4) prefix = c;
  }
  return best ?? prefix;
}

/** ' (did you mean "x"?)' or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean "${c}"?`;
}

/**
 * Compiler-style text: `file:line:col: error: message [code]`, the source line with a
 * caret under the spot, then `hint:`. Lines are separated by \n; no colours.
 */
export function formatDiagnostics(diags: readonly Diagnostic[], source: string, file?: string): string {
  const lines = source.split('\n').map((l) => l.replace(/\r$/, ''));
  const width = String(Math.max(1, ...diags.map((d) => d.line ?? 1))).length;
  return diags.map((d) => formatOne(d, lines, file ?? d.file ?? '<input>', width)).join('\n');
}

function formatOne(d: Diagnostic, lines: string[], file: string, width: number): string {
  const severity = d.severity ?? 'error';
  const where = d.line ? `${file}:${d.line}:${d.col ?? 1}` : file;
  const out = [`${where}: ${severity}: ${d.message} [${d.code}]`];
  const line = d.line ? lines[d.line - 1] : undefined;
  const text = line !== undefined && d.code === 'secret-in-spec' ? maskValueAfter(line, (d.col ?? 1) - 1) : line;
  if (d.line && text !== undefined) {
    const col = Math.min(d.col ?? 1, text.length + 1);
    const { shown, offset } = clip(text, col);
    const span = caretSpan(d, lines, text, col);
    const gutter = ' '.repeat(width);
    out.push(`${String(d.line).padStart(width)} | ${shown}`);
    const under = shown.slice(col - 1 - offset, col - 1 - offset + span);
    out.push(`${gutter} | ${padFor(shown.slice(0, col - 1 - offset))}^${'~'.repeat(Math.max(0, displayWidth(under) - 1))}`);
  }
  if (d.hint) out.push(`hint: ${d.hint}`);
  return out.join('\n');
}

/** The value after the key at `from` (`api_key: sk-abc...`) masked, so CI logs do not get the key. */
function maskValueAfter(text: string, from: number): string {
  const rest = text.slice(from).replace(/^([^:]*:\s*["']?)([^\s"',}]+)/, (_m, key: string, value: string) => `${key}${value.slice(0, 3)}***`);
  return text.slice(0, from) + rest;
}

/** How many characters the caret underlines: the range on this line, at most to its end. */
function caretSpan(d: Diagnostic, lines: string[], text: string, col: number): number {
  if (!d.range) return 1;
  let lineStart = 0;
  for (let i = 0; i < (d.line ?? 1) - 1; i++) lineStart += lines[i].length + 1;
  const startInLine = col - 1;
  const endInLine = Math.min(text.length, d.range[1] - lineStart);
  return Math.max(1, Math.min(endInLine - startInLine, 80));
}

const MAX_SHOWN = 160;

/** Very long lines are cut around the column so the caret stays on screen. */
function clip(text: string, col: number): { shown: string; offset: number } {
  if (text.length <= MAX_SHOWN) return { shown: text, offset: 0 };
  const offset = Math.max(0, Math.min(col - 40, text.length - MAX_SHOWN));
  return { shown: text.slice(offset, offset + MAX_SHOWN), offset };
}

/** Spaces as wide as `prefix` on a terminal: tabs kept, CJK and other wide characters count 2. */
function padFor(prefix: string): string {
  let out = '';
  for (const ch of prefix) {
    if (ch === '\t') out += '\t';
    else out += isWide(ch.codePointAt(0) ?? 0) ? '  ' : ' ';
  }
  return out;
}

function displayWidth(text: string): number {
  let n = 0;
  for (const ch of text) n += isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
  return n;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Every code a pipeline diagnostic can have (documented in docs/errors.md). */
export const DIAGNOSTIC_CODES = [
  'file-not-found', 'too-large', 'invalid-encoding', 'yaml-syntax', 'yaml-warning', 'duplicate-key', 'alias-bomb',
  'not-a-mapping', 'forbidden-key', 'unknown-key', 'unknown-kind', 'missing-kind', 'multiple-kinds', 'missing-field',
  'invalid-type', 'invalid-value', 'out-of-range', 'invalid-id', 'invalid-name', 'duplicate-id', 'foreach-only',
  'secret-in-spec', 'template-syntax', 'unknown-ref', 'unknown-output', 'loop-var-scope', 'self-ref', 'cycle',
  'unknown-need', 'unknown-model', 'test-inputs', 'self-include', 'include-cycle', 'path-escape', 'unknown-pipeline',
] as const;
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];
