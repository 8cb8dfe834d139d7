import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LoomError } from '../errors.js';
import { type EvalQuery, parseJsonLines, readText } from './cases.js';

/** One document of a BEIR corpus.jsonl. */
export interface BeirDocument {
  id: string;
  title: string;
  text: string;
  line: number;
}

export interface BeirPaths {
  corpus: string;
  queries: string;
  qrels: string;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/**
 * The BEIR layout: DIR/corpus.jsonl, DIR/queries.jsonl, DIR/qrels/<split>.tsv. `corpus` may be the
 * folder or the corpus.jsonl file; queries and qrels default to their places in that folder
 * (qrels: test.tsv, else the only .tsv there). A qrels folder picks its split the same way.
 */
export async function resolveBeirPaths(options: { corpus: string; queries?: string; qrels?: string }): Promise<BeirPaths> {
  const dirGiven = await isDir(options.corpus);
  const dir = dirGiven ? options.corpus : join(options.corpus, '..');
  const corpus = dirGiven ? join(dir, 'corpus.jsonl') : options.corpus;
  const queries = options.queries ?? join(dir, 'queries.jsonl');
  let qrels = options.qrels ?? join(dir, 'qrels');
  if (await isDir(qrels)) qrels = await pickSplit(qrels);
  return { corpus, queries, qrels };
}

async function pickSplit(folder: string): Promise<string> {
  const tsvs = (await readdir(folder)).filter((f) => f.endsWith('.tsv')).sort();
  if (tsvs.includes('test.tsv')) return join(folder, 'test.tsv');
  if (tsvs.length === 1) return join(folder, tsvs[0]);
  throw new LoomError('USAGE', `${folder}: ${tsvs.length === 0 ? 'no .tsv qrels file' : `several qrels files (${tsvs.join(', ')})`}`, {
    file: folder, hint: 'name the split with --qrels DIR/qrels/<split>.tsv',
  });
}

function record(value: unknown, file: string, line: number, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new LoomError('INPUT_INVALID', `${file}:${line}: each line must be a JSON ${what} object`, { file });
  }
  return value as Record<string, unknown>;
}

function idOf(o: Record<string, unknown>, file: string, line: number): string {
  const id = o._id;
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new LoomError('INPUT_INVALID', `${file}:${line}: missing "_id"`, { file, hint: 'BEIR lines look like {"_id": "d1", "title": "...", "text": "..."}' });
  }
  return String(id);
}

export function parseBeirCorpus(text: string, file: string): BeirDocument[] {
  const ids = new Set<string>();
  return parseJsonLines(text, file).map(({ value, line }) => {
    const o = record(value, file, line, 'document');
    const id = idOf(o, file, line);
    if (ids.has(id)) throw new LoomError('INPUT_INVALID', `${file}:${line}: duplicate _id "${id}"`, { file });
    ids.add(id);
    if (typeof o.text !== 'string') throw new LoomError('INPUT_INVALID', `${file}:${line}: missing "text" (a string)`, { file });
    return { id, title: typeof o.title === 'string' ? o.title : '', text: o.text, line };
  });
}

/** qrels TSV: a header `query-id corpus-id score`, then one judgement per line. */
export function parseQrels(text: string, file: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const cols = line.split('\t');
    if (i === 0 && /query[-_ ]?id/i.test(cols[0] ?? '')) return;
    const [qid, did, score] = cols.length >= 3 ? cols : line.split(/\s+/);
    const grade = Number(score);
    if (!qid || !did || score === undefined || !Number.isFinite(grade)) {
      throw new LoomError('INPUT_INVALID', `${file}:${i + 1}: expected "query-id<TAB>corpus-id<TAB>score"`, { file });
    }
    let judgements = qrels.get(qid);
    if (!judgements) qrels.set(qid, (judgements = new Map()));
    judgements.set(did, grade);
  });
  return qrels;
}

function metaString(o: Record<string, unknown>, key: string): string | undefined {
  const meta = o.metadata && typeof o.metadata === 'object' ? (o.metadata as Record<string, unknown>) : {};
  const v = o[key] ?? meta[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Queries judged in the qrels, in the order of queries.jsonl (as BEIR does, queries absent from
 * the split are not evaluated). `lang` and `kind` may sit at top level or in `metadata`.
 */
export function parseBeirQueries(text: string, file: string, qrels: Map<string, Map<string, number>>, qrelsFile: string): EvalQuery[] {
  const out: EvalQuery[] = [];
  const found = new Set<string>();
  for (const { value, line } of parseJsonLines(text, file)) {
    const o = record(value, file, line, 'query');
    const id = idOf(o, file, line);
    if (typeof o.text !== 'string') throw new LoomError('INPUT_INVALID', `${file}:${line}: missing "text" (the question)`, { file });
    const gold = qrels.get(id);
    if (!gold) continue;
    found.add(id);
    out.push({ id, query: o.text, gold, lang: metaString(o, 'lang'), kind: metaString(o, 'kind'), file, line });
  }
  const missing = [...qrels.keys()].filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new LoomError('INPUT_INVALID', `${qrelsFile}: ${missing.length} judged quer${missing.length === 1 ? 'y is' : 'ies are'} not in ${file} (${missing.slice(0, 5).join(', ')})`, { file: qrelsFile });
  }
  return out;
}

export interface BeirDataset {
  paths: BeirPaths;
  documents: BeirDocument[];
  queries: EvalQuery[];
}

export async function readBeir(options: { corpus: string; queries?: string; qrels?: string }): Promise<BeirDataset> {
  const paths = await resolveBeirPaths(options);
  const [corpusText, queriesText, qrelsText] = await Promise.all([
    readText(paths.corpus, 'BEIR corpus'), readText(paths.queries, 'BEIR queries'), readText(paths.qrels, 'BEIR qrels'),
  ]);
  const documents = parseBeirCorpus(corpusText, paths.corpus);
  const qrels = parseQrels(qrelsText, paths.qrels);
  const ids = new Set(documents.map((d) => d.id));
  for (const [qid, judgements] of qrels) {
    for (const did of judgements.keys()) {
      if (!ids.has(did)) throw new LoomError('INPUT_INVALID', `${paths.qrels}: query ${qid} judges document "${did}", which is not in ${paths.corpus}`, { file: paths.qrels });
    }
  }
  const queries = parseBeirQueries(queriesText, paths.queries, qrels, paths.qrels);
  if (queries.length === 0) throw new LoomError('INPUT_INVALID', `${paths.qrels}: no judged queries`, { file: paths.qrels });
  return { paths, documents, queries };
}
