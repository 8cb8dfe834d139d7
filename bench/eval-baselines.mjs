// Baselines for bench/eval-vue.mjs, deliberately independent of promptloom's own text code:
// a naive keyword grep over whole pages and minisearch BM25 over Intl.Segmenter-tokenised chunks.
// Both expose the same `search(query, {k, filter})` as the store, so one evaluator scores all.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** Lowercased word-like tokens; segmented in ~1.5 KB pieces (Segmenter slows down on long strings). */
export function segment(text) {
  const out = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + 1500);
    if (end < text.length) {
      const ws = text.lastIndexOf(' ', end);
      const nl = text.lastIndexOf('\n', end);
      const cut = Math.max(ws, nl);
      if (cut > i + 500) end = cut;
    }
    for (const s of segmenter.segment(text.slice(i, end))) if (s.isWordLike) out.push(s.segment.toLowerCase());
    i = end;
  }
  return out;
}

/** All Markdown pages under root, with source paths relative to root and the top folder as language. */
export async function loadPages(root, folders = ['en', 'zh']) {
  const pages = [];
  async function walk(dir) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.md')) {
        const source = relative(root, path).split(sep).join('/');
        pages.push({ source, lang: source.split('/')[0], text: await readFile(path, 'utf8') });
      }
    }
  }
  for (const f of folders) await walk(join(root, f));
  return pages.sort((a, b) => (a.source < b.source ? -1 : 1));
}

/** the filters the bench uses: a source glob 'en/**' (or an exact path), or a language (a page's top folder) */
function matches(page, options) {
  const lang = options.lang ?? options.filter?.lang;
  if (lang && page.lang !== lang) return false;
  const glob = options.filter?.source;
  if (!glob) return true;
  return glob.endsWith('/**') ? page.source.startsWith(glob.slice(0, -2)) : page.source === glob;
}

function occurrences(haystack, needle) {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * The naive grep: a page scores the number of distinct query tokens that occur in it as
 * substrings (case-insensitive); among pages with the same count, more occurrences rank first.
 * (Without that tie-break it is weaker still: remaining ties are averaged over by the metrics.)
 */
export function grepBaseline(pages) {
  const lowered = pages.map((p) => ({ ...p, lower: p.text.toLowerCase() }));
  return {
    async search(query, options = {}) {
      const terms = [...new Set(segment(query))];
      const hits = [];
      for (const p of lowered) {
        if (!matches(p, options)) continue;
        let distinct = 0;
        let total = 0;
        for (const t of terms) {
          const n = occurrences(p.lower, t);
          if (n > 0) distinct++;
          total += n;
        }
        const score = distinct + total / (total + 1000);
        if (score > 0) hits.push({ id: p.source, source: p.source, heading: '', lang: p.lang, score, text: '' });
      }
      hits.sort((a, b) => b.score - a.score);
      return hits.slice(0, options.k ?? 10);
    },
  };
}

/** Heading-delimited sections, cut at blank lines to at most ~maxChars each. */
export function simpleChunks(text, maxChars = 1200) {
  const sections = text.split(/\n(?=#{1,4} )/);
  const chunks = [];
  for (const section of sections) {
    let current = '';
    for (const para of section.split(/\n{2,}/)) {
      if (current && current.length + para.length > maxChars) {
        chunks.push(current);
        current = '';
      }
      current = current ? `${current}\n\n${para}` : para;
    }
    if (current.trim()) chunks.push(current);
  }
  return chunks;
}

async function importMiniSearch() {
  const require = createRequire(new URL('../packages/core/package.json', import.meta.url));
  const mod = await import(pathToFileURL(require.resolve('minisearch')).href);
  return mod.default ?? mod;
}

/** minisearch BM25 over chunks, tokenised with Intl.Segmenter; OR of the query terms, no fuzzing. */
export async function minisearchBaseline(pages) {
  const MiniSearch = await importMiniSearch();
  const index = new MiniSearch({
    fields: ['text'],
    storeFields: ['source', 'lang'],
    tokenize: (text) => segment(text),
    processTerm: (term) => term.toLowerCase(),
  });
  const docs = [];
  for (const p of pages) {
    simpleChunks(p.text).forEach((text, i) => docs.push({ id: `${p.source}#${i}`, source: p.source, lang: p.lang, text }));
  }
  index.addAll(docs);
  return {
    chunks: docs.length,
    async search(query, options = {}) {
      const found = index.search(query, {
        combineWith: 'OR',
        filter: (r) => matches(r, options),
      });
      return found.slice(0, options.k ?? 10).map((r) => ({ id: r.id, source: r.source, heading: '', lang: r.lang, score: r.score, text: '' }));
    },
  };
}
