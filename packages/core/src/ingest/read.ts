import { extname } from 'node:path';
import { chunkMarkdown, chunkPlainText, type ChunkOptions, type ParsedDocument } from '../text/chunk.js';

/** One document read from a file: the whole file, or one JSON/JSONL record. */
export interface ReadDocument {
  /** '' for the file itself, else the record id (the key and name get `#id`) */
  record: string;
  title?: string;
  meta: Record<string, unknown>;
  /** the text the hash covers; parsed lazily, only when the hash changed */
  content: string;
  parse(options: ChunkOptions): Promise<ParsedDocument> | ParsedDocument;
}

export interface ReadResult {
  docs: ReadDocument[];
  /** problems inside the file (bad JSON lines, records without text): one warning for the file */
  problems: string[];
}

const TEXT_FIELDS = ['text', 'content', 'body'];
const ID_FIELDS = ['_id', 'id'];

/** NUL bytes in the first 8 KB: a binary file, not text. */
export function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8192).includes(0);
}

export function decode(buf: Buffer): string {
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function fileTitle(file: string): string {
  const base = file.split('/').pop() ?? file;
  return base.replace(/\.[^.]+$/, '');
}

/** Splits a document and fixes its title (front matter, first H1, else the file name). */
function markdownDoc(content: string, fallbackTitle: string): ReadDocument {
  return {
    record: '',
    content,
    meta: {},
    parse(options) {
      const parsed = chunkMarkdown(content, options);
      return { ...parsed, title: parsed.title ?? fallbackTitle };
    },
  };
}

async function htmlDoc(content: string, fallbackTitle: string): Promise<ReadDocument> {
  return {
    record: '',
    content,
    meta: {},
    async parse(options) {
      const { htmlToMarkdownish } = await import('../text/html.js');
      const { title, text } = htmlToMarkdownish(content);
      const parsed = chunkMarkdown(text, options);
      return { ...parsed, title: title ?? parsed.title ?? fallbackTitle };
    },
  };
}

function recordDoc(rec: Record<string, unknown>, index: number, problems: string[]): ReadDocument | undefined {
  const field = TEXT_FIELDS.find((f) => typeof rec[f] === 'string');
  if (!field) {
    problems.push(`record ${index + 1} has no text field (${TEXT_FIELDS.join(', ')})`);
    return undefined;
  }
  const idField = ID_FIELDS.find((f) => typeof rec[f] === 'string' || typeof rec[f] === 'number');
  const id = idField ? String(rec[idField]) : String(index + 1);
  const title = typeof rec.title === 'string' && rec.title.trim() ? rec.title.trim() : undefined;
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) if (k !== field) meta[k] = v;
  const text = rec[field] as string;
  return {
    record: id,
    title,
    meta,
    content: JSON.stringify(rec),
    parse(options) {
      const parsed = chunkMarkdown(text, options);
      // the record's title heads every chunk's heading path, as an H1 would
      const chunks = title ? parsed.chunks.map((c) => ({ ...c, heading: c.heading[0] === title ? c.heading : [title, ...c.heading] })) : parsed.chunks;
      return { title: title ?? parsed.title, frontMatter: meta, chunks };
    },
  };
}

function recordsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of ['documents', 'docs', 'records', 'items', 'data']) if (Array.isArray(obj[key])) return obj[key] as unknown[];
    return [obj];
  }
  return [];
}

function readRecords(records: unknown[], problems: string[]): ReadDocument[] {
  const docs: ReadDocument[] = [];
  const ids = new Set<string>();
  records.forEach((rec, i) => {
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
      problems.push(`record ${i + 1} is not an object`);
      return;
    }
    const doc = recordDoc(rec as Record<string, unknown>, i, problems);
    if (!doc) return;
    if (ids.has(doc.record)) doc.record = `${doc.record}~${i + 1}`; // duplicate ids stay distinct
    ids.add(doc.record);
    docs.push(doc);
  });
  return docs;
}

function readJsonl(content: string, problems: string[]): ReadDocument[] {
  const records: unknown[] = [];
  const lines = content.split('\n');
  let bad = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line));
    } catch {
      if (++bad <= 3) problems.push(`line ${i + 1}: invalid JSON`);
    }
  });
  if (bad > 3) problems.push(`${bad - 3} more invalid lines`);
  return readRecords(records, problems);
}

/** Reads one file into documents by its extension. Throws only on unparseable JSON. */
export async function readDocuments(name: string, content: string): Promise<ReadResult> {
  const ext = extname(name).toLowerCase();
  const problems: string[] = [];
  const title = fileTitle(name);
  switch (ext) {
    case '.md':
    case '.markdown':
      return { docs: [markdownDoc(content, title)], problems };
    case '.txt':
      return { docs: [{ record: '', content, meta: {}, parse: (o) => ({ ...chunkPlainText(content, o), title }) }], problems };
    case '.html':
    case '.htm':
      return { docs: [await htmlDoc(content, title)], problems };
    case '.jsonl':
      return { docs: readJsonl(content, problems), problems };
    case '.json': {
      let value: unknown;
      try {
        value = JSON.parse(content);
      } catch (error) {
        return { docs: [], problems: [`invalid JSON (${(error as Error).message})`] };
      }
      return { docs: readRecords(recordsOf(value), problems), problems };
    }
    default:
      return { docs: [], problems: [`unsupported file type ${ext}`] };
  }
}
