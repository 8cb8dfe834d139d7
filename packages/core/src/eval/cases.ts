import { readFile } from 'node:fs/promises';
import { LoomError } from '../errors.js';

/** One evaluation question, from either format (simple JSONL or BEIR). */
export interface EvalQuery {
  id: string;
  query: string;
  /** page id (source path, or BEIR document id) -> grade; empty when the docs hold no answer.
   *  A list of several pages grades the first 2 (the main page) and the others 1. */
  gold: Map<string, number>;
  lang?: string;
  /** a free group name, e.g. 'same-language', 'cross-lingual', 'no-answer' */
  kind?: string;
  /** 'refuse': a correct answer says the docs do not cover it (grounded false) */
  expect?: 'answer' | 'refuse';
  /** phrases a correct answer contains (case-insensitive); scored as the share found, all, any */
  answerContains?: string[];
  /** extra pipeline inputs for `loom eval answers` (the question itself goes in automatically) */
  inputs?: Record<string, unknown>;
  /** search restrictions for this question, e.g. {lang: 'en'} to search only the English pages */
  filter?: Record<string, string>;
  /** where it came from, for messages */
  file?: string;
  line?: number;
}

/** Splits JSONL text into parsed objects with their 1-based line numbers; names file:line on bad JSON. */
export function parseJsonLines(text: string, file: string): { value: unknown; line: number }[] {
  const out: { value: unknown; line: number }[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    try {
      out.push({ value: JSON.parse(line), line: i + 1 });
    } catch (error) {
      throw new LoomError('INPUT_INVALID', `${file}:${i + 1}: not valid JSON (${(error as Error).message})`, {
        file, cause: error, hint: 'each line must be one JSON object',
      });
    }
  });
  return out;
}

export async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LoomError('INPUT_INVALID', `cannot read ${what} ${file}${code ? ` (${code})` : ''}`, {
      file, cause: error, hint: code === 'ENOENT' ? 'check the path' : undefined,
    });
  }
}

function bad(file: string, line: number, message: string): LoomError {
  return new LoomError('INPUT_INVALID', `${file}:${line}: ${message}`, {
    file,
    hint: 'expected {"query": "...", "gold": ["path/relative/to/ingest/root.md"], "lang"?, "kind"?, "expect"?: "refuse", "answer_contains"?}',
  });
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

function goldOf(value: unknown, file: string, line: number): Map<string, number> {
  if (value === undefined || value === null) return new Map();
  const list = stringList(value);
  // the convention of examples/eval: with several pages, the first answers best (grade 2)
  if (list) return new Map(list.map((p, i) => [normalisePath(p), list.length > 1 && i === 0 ? 2 : 1]));
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, g]) => typeof g === 'number')) return new Map(entries.map(([p, g]) => [normalisePath(p), g as number]));
  }
  throw bad(file, line, '"gold" must be a list of paths or an object {path: grade}');
}

/** Gold paths are compared with hit sources: forward slashes, no leading './'. */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '');
}

/** Reads the simple format: one `{query, gold, lang?, kind?, expect?, answer_contains?, id?}` per line. */
export function parseQueriesJsonl(text: string, file: string): EvalQuery[] {
  const seen = new Set<string>();
  return parseJsonLines(text, file).map(({ value, line }, index) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(file, line, 'each line must be a JSON object');
    const o = value as Record<string, unknown>;
    const query = typeof o.query === 'string' ? o.query : typeof o.question === 'string' ? o.question : undefined;
    if (!query || !query.trim()) throw bad(file, line, 'missing "query" (a non-empty string)');
    const expect = o.expect;
    if (expect !== undefined && expect !== 'answer' && expect !== 'refuse') throw bad(file, line, '"expect" must be "answer" or "refuse"');
    const contains = o.answer_contains === undefined ? undefined : stringList(o.answer_contains);
    if (o.answer_contains !== undefined && !contains) throw bad(file, line, '"answer_contains" must be a string or a list of strings');
    const filter = o.filter === undefined ? undefined : o.filter;
    if (filter !== undefined && (typeof filter !== 'object' || filter === null || Array.isArray(filter) || !Object.values(filter).every((v) => typeof v === 'string'))) {
      throw bad(file, line, '"filter" must be an object of strings, e.g. {"lang": "en"}');
    }
    if (o.inputs !== undefined && (typeof o.inputs !== 'object' || o.inputs === null || Array.isArray(o.inputs))) {
      throw bad(file, line, '"inputs" must be an object of pipeline inputs');
    }
    const id = o.id === undefined ? `q${index + 1}` : String(o.id);
    if (seen.has(id)) throw bad(file, line, `duplicate id "${id}"`);
    seen.add(id);
    return {
      id, query, gold: goldOf(o.gold, file, line),
      lang: typeof o.lang === 'string' ? o.lang : undefined,
      kind: typeof o.kind === 'string' ? o.kind : undefined,
      expect: expect as EvalQuery['expect'],
      answerContains: contains,
      filter: filter as Record<string, string> | undefined,
      inputs: o.inputs as Record<string, unknown> | undefined,
      file, line,
    };
  });
}

export async function readQueriesJsonl(file: string): Promise<EvalQuery[]> {
  const queries = parseQueriesJsonl(await readText(file, 'questions file'), file);
  if (queries.length === 0) throw new LoomError('INPUT_INVALID', `${file}: no questions found`, { file });
  return queries;
}
