import { isAlias, isMap, isNode, isPair, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { Diagnostic } from '../errors.js';

export type Path = (string | number)[];

export interface ReportOptions {
  /** 'key' points at the mapping key of the last path segment (unknown keys, bad ids) */
  at?: 'key' | 'value';
  hint?: string;
  severity?: 'error' | 'warning';
  /** an explicit source range, when the spot is not a node (YAML errors) */
  range?: [number, number];
}

/**
 * What every check works on: the parsed document (for positions), its plain JS value
 * (for logic), and the diagnostics found so far. Positions always come from the YAML
 * nodes' own ranges, never from searching the text.
 */
export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly doc: Document.Parsed,
    readonly lineCounter: LineCounter,
    readonly value: unknown,
    readonly file?: string,
  ) {}

  report(code: string, message: string, path: Path, options: ReportOptions = {}): void {
    const range = options.range ?? this.rangeOf(path, options.at ?? 'value');
    const diag: Diagnostic = { code, message, path, severity: options.severity ?? 'error' };
    if (this.file) diag.file = this.file;
    if (range) {
      diag.range = range;
      const pos = this.lineCounter.linePos(range[0]);
      diag.line = pos.line;
      diag.col = pos.col;
    }
    if (options.hint) diag.hint = options.hint;
    this.diagnostics.push(diag);
  }

  /** Source range of the node at `path` (or of its key), walking up to the nearest node that exists. */
  rangeOf(path: Path, at: 'key' | 'value' = 'value'): [number, number] | undefined {
    const exact = at === 'key' ? this.keyNode(path) ?? this.valueNode(path) : this.valueNode(path) ?? this.keyNode(path);
    if (exact?.range) return [exact.range[0], exact.range[1]];
    for (let n = path.length - 1; n >= 0; n--) {
      const node = this.valueNode(path.slice(0, n));
      if (node?.range) return [node.range[0], node.range[1]];
    }
    return undefined;
  }

  valueNode(path: Path): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node | null) ?? undefined;
    const node = this.doc.getIn(path, true);
    return isNode(node) ? node : undefined;
  }

  keyNode(path: Path): Node | undefined {
    if (path.length === 0) return undefined;
    let parent = this.valueNode(path.slice(0, -1));
    if (isAlias(parent)) parent = parent.resolve(this.doc) as Node | undefined;
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    for (const item of parent.items) {
      if (!isPair(item)) continue;
      const key = item.key;
      if (isScalar(key) && String(key.value) === String(last)) return key;
    }
    return undefined;
  }

  hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity !== 'warning');
  }
}

/** The value at `path` inside a plain JS value. */
export function getAt(value: unknown, path: Path): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
