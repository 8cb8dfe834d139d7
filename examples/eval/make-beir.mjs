#!/usr/bin/env node
// Converts questions.jsonl and the community-docs pages into the BEIR layout
// (corpus.jsonl, queries.jsonl, qrels/test.tsv) so that the same set can be
// scored by any BEIR-compatible tool, not only by `loom eval`.
//
//   node examples/eval/make-beir.mjs [--out examples/eval/beir]
//
// One corpus entry per page, _id = the page path relative to community-docs.
// No-answer questions are left out: with no relevant page, retrieval metrics
// are undefined for them (they are scored by `loom eval answers` instead).
// Graded relevance: 2 for the first (main) gold page, 1 for the others.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const docsRoot = join(here, '..', 'community-docs');
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? process.argv[outArg + 1] : join(here, 'beir');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []))
    .sort();
}

// Splits YAML front matter off the body; only the title is needed, so a line
// match is enough and avoids a YAML dependency in a dependency-free script.
function splitPage(raw) {
  const m = raw.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n/);
  const front = m ? m[1] : '';
  const body = m ? raw.slice(m[0].length) : raw;
  const fmTitle = front.match(/^title:\s*(.+)$/m)?.[1]?.trim().replace(/^["']|["']$/g, '');
  const heading = body.match(/^#\s+(.+)$/m)?.[1]?.trim();
  return { title: fmTitle ?? heading ?? '', text: body.trim() };
}

function buildCorpus() {
  return ['en', 'zh'].flatMap((lang) =>
    walk(join(docsRoot, lang)).map((file) => {
      const _id = relative(docsRoot, file).split('\\').join('/');
      return { _id, ...splitPage(readFileSync(file, 'utf8')) };
    }),
  );
}

function main() {
  const corpus = buildCorpus();
  const ids = new Set(corpus.map((d) => d._id));
  const questions = readFileSync(join(here, 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((q) => q.gold.length > 0);
  const qrels = ['query-id\tcorpus-id\tscore'];
  for (const q of questions) {
    q.gold.forEach((g, i) => {
      if (!ids.has(g)) throw new Error(`${q.id}: gold page ${g} is not in the corpus`);
      qrels.push(`${q.id}\t${g}\t${i === 0 ? 2 : 1}`);
    });
  }
  const queries = questions.map((q) => ({ _id: q.id, text: q.query, metadata: { lang: q.lang, kind: q.kind } }));
  mkdirSync(join(outDir, 'qrels'), { recursive: true });
  const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(outDir, 'corpus.jsonl'), jsonl(corpus));
  writeFileSync(join(outDir, 'queries.jsonl'), jsonl(queries));
  writeFileSync(join(outDir, 'qrels', 'test.tsv'), qrels.join('\n') + '\n');
  console.log(`${corpus.length} documents, ${queries.length} queries, ${qrels.length - 1} judgements -> ${outDir}`);
}

main();
