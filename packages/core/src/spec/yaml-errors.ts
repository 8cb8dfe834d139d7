import { isMap, isPair, isScalar, visit, type Document, type LineCounter, type Scalar } from 'yaml';
import type { Diagnostic } from '../errors.js';

const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  DUPLICATE_KEY: 'each key may appear once in a mapping; remove or merge one of them',
  BAD_INDENT: 'align the keys of one mapping at the same column',
  MISSING_CHAR: 'a quote or bracket is not closed',
  MULTIPLE_DOCS: 'a pipeline file holds one YAML document; remove the extra ---',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation and the colons on the lines above',
  UNEXPECTED_TOKEN: 'check the quoting: values with ": " or starting with { [ * & ! | > need quotes',
  TAG_RESOLVE_FAILED: 'pipelines use plain YAML; remove the !tag',
  RESOURCE_EXHAUSTION: 'a pipeline needs only a few levels of nesting; flatten this value or keep the data in a separate file',
};

// MISSING_CHAR covers several different mistakes; the library's message tells them apart
const MISSING_CHAR_HINTS: [RegExp, string][] = [
  [/Sequence item without -/, 'check the indentation: the items of one list start with "- " at the same column'],
  [/Implicit map keys need to be followed/, 'a key needs a colon and a space after it (key: value); check the indentation above'],
  [/Comments must be separated/, 'put a space before #, or quote the value if the # belongs to it'],
  [/Missing space after :/, 'put a space after the colon (key: value)'],
];

function hintFor(code: string, message: string): string | undefined {
  if (code === 'BAD_INDENT' && /^Flow (map|sequence)/.test(message)) return 'a { or [ is not closed: close it, or indent its continuation lines more than the key';
  if (code === 'MISSING_CHAR') return MISSING_CHAR_HINTS.find(([re]) => re.test(message))?.[1] ?? YAML_HINTS.MISSING_CHAR;
  return YAML_HINTS[code];
}

/** The yaml library's own errors and warnings as diagnostics, at the positions it reports. */
export function yamlDiagnostics(doc: Document.Parsed, lc: LineCounter, source = ''): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const [list, severity] of [[doc.errors, 'error'], [doc.warnings, 'warning']] as const) {
    for (const e of list) {
      // one broken token often yields several errors at the same spot; the first says it best
      if (severity === 'error' && seen.has(e.pos[0])) continue;
      seen.add(e.pos[0]);
      let range: [number, number] = [e.pos[0], Math.max(e.pos[0], e.pos[1])];
      let message = `${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')} (${e.code})`;
      if (e.code === 'MISSING_CHAR' && /quote/.test(e.message)) {
        const open = quotedScalarEndingAt(doc, e.pos[0]);
        if (open?.range) {
          range = [open.range[0], open.range[0] + 1];
          message = `this quoted string is never closed (${e.code})`;
        }
      } else if (e.code === 'RESOURCE_EXHAUSTION') {
        // the library reports the stack overflow it caught; say what it means for the file
        message = `the YAML is nested too deeply to read (${e.code})`;
      } else if (e.code === 'DUPLICATE_KEY') {
        message = duplicateKeyMessage(doc, lc, e.pos[0]) ?? message;
      }
      const colon = e.code === 'BLOCK_AS_IMPLICIT_KEY' ? unquotedColon(source, lc, e.pos[0]) : undefined;
      if (colon) {
        range = colon.range;
        message = `this value contains ": ", which YAML reads as another key: quote this value (${e.code})`;
      }
      const pos = lc.linePos(range[0]);
      out.push({
        code: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : severity === 'error' ? 'yaml-syntax' : 'yaml-warning',
        message,
        range,
        line: pos.line,
        col: pos.col,
        severity,
        hint: colon ? `${colon.key}: "${colon.value.replace(/"/g, '\\"')}"` : hintFor(e.code, e.message),
      });
    }
  }
  out.push(...unquotedTemplates(doc, lc));
  return out;
}

/**
 * `description: A brief on a Vue topic: per-page …` — the second ": " makes YAML read a nested
 * mapping, and the library says "Nested mappings are not allowed in compact mappings". When the
 * error's line is a plain `key: value` whose value holds ": ", the value needs quotes.
 */
function unquotedColon(source: string, lc: LineCounter, pos: number): { range: [number, number]; key: string; value: string } | undefined {
  const { line } = lc.linePos(pos);
  const start = lc.lineStarts[line - 1];
  if (start === undefined) return undefined;
  const end = source.indexOf('\n', start);
  const text = source.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
  const m = /^(\s*(?:- )?)([\w.-]+):[ \t]+([^'"{[|>&*!#\s][^#]*?)\s*$/.exec(text);
  if (!m || !/:\s/.test(m[3])) return undefined;
  const at = start + text.indexOf(m[3], m[1].length + m[2].length + 1);
  return { range: [at, at + m[3].length], key: m[2], value: m[3] };
}

/**
 * `text: {{ inputs.q }}` without quotes is YAML for a mapping inside a mapping, which the
 * schema checks would report as a missing field: name the real mistake instead.
 */
function unquotedTemplates(doc: Document.Parsed, lc: LineCounter): Diagnostic[] {
  const out: Diagnostic[] = [];
  visit(doc, {
    Map(_, map) {
      if (!map.flow || !map.range || map.items.length !== 1) return;
      const key = map.items[0].key;
      if (!isMap(key) || !key.flow) return;
      const pos = lc.linePos(map.range[0]);
      out.push({
        code: 'yaml-syntax',
        message: 'a value starting with {{ must be quoted; unquoted, YAML reads it as a mapping',
        range: [map.range[0], map.range[1]],
        line: pos.line,
        col: pos.col,
        severity: 'error',
        hint: 'put the value in quotes, e.g. text: "{{ inputs.question }}"',
      });
      return visit.SKIP;
    },
  });
  return out;
}

function quotedScalarEndingAt(doc: Document.Parsed, offset: number): Scalar | undefined {
  let found: Scalar | undefined;
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range && node.range[0] < offset && node.range[1] >= offset) found = node;
    },
  });
  return found;
}

function duplicateKeyMessage(doc: Document.Parsed, lc: LineCounter, offset: number): string | undefined {
  let message: string | undefined;
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const dup = map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.range?.[0] === offset);
      if (!dup || !isScalar(dup.key)) return;
      const key = String(dup.key.value);
      const first = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      const firstAt = first && isScalar(first.key) && first.key.range ? lc.linePos(first.key.range[0]).line : undefined;
      message = `duplicate key "${key}"${firstAt ? ` (first at line ${firstAt})` : ''}`;
      return visit.BREAK;
    },
  });
  return message;
}
