#!/usr/bin/env node
// Checks an evaluation question set against the corpus it is about, so that a
// question whose gold page does not actually contain the answer is caught
// before it skews a benchmark.
//
//   node examples/eval/check.mjs                       # this folder's set over examples/community-docs
//   node examples/eval/check.mjs --queries bench/vue-eval/queries.jsonl \
//        --corpus ../shared/corpora/vue-docs --parallel-cross
//
// Errors (exit 1): malformed lines, duplicate ids, missing gold files, gold in
// the wrong language for the question's kind, an answer_contains phrase that
// appears in none of the gold pages. Warnings: a phrase missing from the main
// (first) gold page, or another page of the gold language that contains every
// phrase but is not listed (a possible missing gold page).
//
// --parallel-cross: the corpus has both language versions of a page (as the Vue
// docs do) and cross-lingual questions are evaluated with a language filter, so
// a cross-lingual gold page may have a counterpart in the question's language.
// Without it, a cross-lingual gold page must exist in the other language only.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const KINDS = new Set(['same-language', 'cross-lingual', 'no-answer']);
const LANGS = new Set(['en', 'zh']);

function parseArgs(argv) {
  const opts = {
    queries: join(here, 'questions.jsonl'),
    corpus: join(here, '..', 'community-docs'),
    parallelCross: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--queries') opts.queries = argv[++i];
    else if (a === '--corpus') opts.corpus = argv[++i];
    else if (a === '--parallel-cross') opts.parallelCross = true;
    else {
      console.error(`unknown argument: ${a}`);
      process.exit(1);
    }
  }
  return opts;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

// Bold markers split phrases such as "**120 requests per minute**"; the phrase
// is what a reader sees, so compare on text without them. Front matter is
// dropped so that "title:" in a question does not match every page's header.
const normalize = (s) => s.replace(/\*\*/g, '').replace(/\s+/g, ' ').toLowerCase();
const stripFrontMatter = (s) => s.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, '');

function loadCorpus(root) {
  const pages = new Map();
  for (const file of walk(root)) {
    const rel = relative(root, file).split('\\').join('/');
    if (rel === 'README.md') continue;
    pages.set(rel, normalize(stripFrontMatter(readFileSync(file, 'utf8'))));
  }
  return pages;
}

function readQuestions(path, errors) {
  const out = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push({ ...JSON.parse(line), line: i + 1 });
    } catch (e) {
      errors.push(`${path}:${i + 1}: not valid JSON (${e.message})`);
    }
  });
  return out;
}

function checkShape(q, seen, err) {
  if (typeof q.id !== 'string' || !q.id) err('missing id');
  else if (seen.has(q.id)) err(`duplicate id ${q.id}`);
  seen.add(q.id);
  if (typeof q.query !== 'string' || q.query.trim().length < 5) err('query missing or too short');
  if (!LANGS.has(q.lang)) err(`lang must be en or zh, got ${q.lang}`);
  if (!KINDS.has(q.kind)) err(`unknown kind ${q.kind}`);
  if (!Array.isArray(q.gold) || !Array.isArray(q.answer_contains)) err('gold and answer_contains must be arrays');
  const wantExpect = q.kind === 'no-answer' ? 'refuse' : 'answer';
  if (q.expect !== wantExpect) err(`expect must be "${wantExpect}" for kind ${q.kind}`);
}

function checkGold(q, pages, opts, err, warn) {
  const other = q.lang === 'en' ? 'zh' : 'en';
  if (q.kind === 'no-answer') {
    if (q.gold.length || q.answer_contains.length) err('no-answer questions take empty gold and answer_contains');
    return;
  }
  if (!q.gold.length) err('no gold page');
  if (!q.answer_contains.length) err('no answer_contains phrase');
  const wantLang = q.kind === 'same-language' ? q.lang : other;
  for (const g of q.gold) {
    if (!pages.has(g)) err(`gold page not found: ${g}`);
    if (!g.startsWith(`${wantLang}/`)) err(`${q.kind} question in ${q.lang}: gold ${g} should be under ${wantLang}/`);
    const counterpart = `${q.lang}/${g.slice(3)}`;
    if (q.kind === 'cross-lingual' && !opts.parallelCross && pages.has(counterpart)) {
      err(`cross-lingual gold ${g} also exists as ${counterpart}; ask in the other language or pass --parallel-cross`);
    }
  }
  const golds = q.gold.filter((g) => pages.has(g));
  for (const phrase of q.answer_contains) {
    const p = normalize(phrase);
    const hits = golds.filter((g) => pages.get(g).includes(p));
    if (!hits.length) err(`"${phrase}" appears in no gold page`);
    else if (hits[0] !== golds[0]) warn(`"${phrase}" is not on the main gold page ${golds[0]}`);
  }
  const phrases = q.answer_contains.map(normalize);
  const unlisted = [...pages.keys()].filter(
    (p) => p.startsWith(`${wantLang}/`) && !q.gold.includes(p) && phrases.every((ph) => pages.get(p).includes(ph)),
  );
  if (unlisted.length && unlisted.length <= 5) warn(`pages containing every phrase but not in gold: ${unlisted.join(', ')}`);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(opts.corpus)) {
    console.error(`corpus folder not found: ${opts.corpus}`);
    process.exit(1);
  }
  const errors = [];
  const warnings = [];
  const pages = loadCorpus(opts.corpus);
  const questions = readQuestions(opts.queries, errors);
  const seen = new Set();
  const counts = {};
  for (const q of questions) {
    const where = `${opts.queries}:${q.line} (${q.id})`;
    const err = (m) => errors.push(`${where}: ${m}`);
    const warn = (m) => warnings.push(`${where}: ${m}`);
    checkShape(q, seen, err);
    if (Array.isArray(q.gold) && Array.isArray(q.answer_contains)) checkGold(q, pages, opts, err, warn);
    const key = `${q.kind} ${q.lang}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  for (const w of warnings) console.log(`warning: ${w}`);
  for (const e of errors) console.log(`error: ${e}`);
  const summary = Object.entries(counts).sort().map(([k, n]) => `${k}: ${n}`).join(', ');
  console.log(`${questions.length} questions over ${pages.size} pages (${summary})`);
  console.log(`${errors.length} errors, ${warnings.length} warnings`);
  process.exitCode = errors.length ? 1 : 0;
}

main();
