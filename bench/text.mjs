#!/usr/bin/env node
// Figures behind docs/text.md, run by hand after `pnpm build`:
//   node bench/text.mjs [--corpus DIR] [--only segmenter,tokenize,blocks,embed,dims,lang,cedict]
// Needs the vue-docs corpus (../shared/corpora/vue-docs). Prints; writes nothing.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/work/shared/corpora/vue-docs' },
    only: { type: 'string', default: 'segmenter,tokenize,blocks,embed,dims,lang,cedict' },
  },
});
if (!existsSync(opts.corpus)) {
  console.error(`corpus not found: ${opts.corpus}`);
  process.exit(1);
}
const only = new Set(opts.only.split(','));
const core = (p) => new URL(`../packages/core/dist/${p}`, import.meta.url).href;
const { tokenize } = await import(core('text/segment.js'));
const { chunkMarkdown } = await import(core('text/chunk.js'));
const { hashEmbedding } = await import(core('embeddings/local.js'));
const lang = await import(core('text/lang.js'));

const walk = (d) => readdirSync(d).flatMap((f) => {
  const p = join(d, f);
  return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
});
const chunks = [];
const queries = [];
const pages = [];
for (const l of ['en', 'zh']) {
  for (const file of walk(join(opts.corpus, l))) {
    const page = relative(opts.corpus, file);
    const src = readFileSync(file, 'utf8');
    pages.push({ page, lang: l, src });
    for (const c of chunkMarkdown(src).chunks) chunks.push({ page, lang: l, text: c.text });
    for (const m of src.matchAll(/^#{2,3} (.+?)(?:\s*\{#[^}]*\})?\s*$/gm)) {
      const q = m[1].replace(/<[^>]+>|`/g, '').trim();
      if (q.length > 3) queries.push({ q, page, lang: l });
    }
  }
}
console.log(`${pages.length} pages, ${chunks.length} chunks, ${queries.length} heading queries`);
const best = (fn, reps = 3) => { let b = Infinity; for (let r = 0; r < reps; r++) { const t = performance.now(); fn(); b = Math.min(b, performance.now() - t); } return b; };

if (only.has('segmenter')) {
  const seg = new Intl.Segmenter('und', { granularity: 'word' });
  const run = (s) => { let n = 0; for (const x of seg.segment(s)) if (x.isWordLike) n++; return n; };
  const prose = (l) => pages.filter((p) => p.lang === l).map((p) => p.src.replace(/```[\s\S]*?```/g, '')).join('\n');
  const texts = { en: prose('en'), zh: prose('zh') };
  console.log('\nIntl.Segmenter ns/char by string length (en, zh)');
  for (const size of [256, 1024, 4096, 16384, 65536]) {
    const row = [size];
    for (const l of ['en', 'zh']) {
      const s = texts[l].slice(0, size);
      const reps = size >= 65536 ? 1 : Math.max(3, Math.floor(300000 / size));
      row.push((best(() => { for (let i = 0; i < reps; i++) run(s); }) / reps * 1e6 / size).toFixed(0));
    }
    console.log(row.join('\t'));
  }
}

if (only.has('tokenize')) {
  for (const l of ['en', 'zh']) {
    const text = pages.filter((p) => p.lang === l).map((p) => p.src).join('\n');
    console.log(`tokenize ${l}: ${(best(() => tokenize(text)) * 1e6 / text.length).toFixed(0)} ns/char over ${text.length} chars`);
  }
}

if (only.has('blocks')) {
  // the block model (markdown-it) against tokenize over the same pages, in the same run
  const { parseMarkdown } = await import(core('text/blocks.js'));
  const chars = pages.reduce((n, p) => n + p.src.length, 0);
  const parse = best(() => { for (const p of pages) parseMarkdown(p.src); });
  const chunk = best(() => { for (const p of pages) chunkMarkdown(p.src); });
  const tok = best(() => { for (const p of pages) tokenize(p.src); });
  const { loadavg } = await import('node:os');
  console.log(`\nblock model over ${pages.length} pages (${chars} chars), load average ${loadavg()[0].toFixed(1)}:`);
  console.log(`parseMarkdown ${parse.toFixed(0)} ms, chunkMarkdown ${chunk.toFixed(0)} ms, tokenize ${tok.toFixed(0)} ms; parse/tokenize ${(parse / tok).toFixed(2)}, chunk/tokenize ${(chunk / tok).toFixed(2)}`);
}

if (only.has('embed')) {
  for (const l of ['en', 'zh']) {
    const cs = chunks.filter((c) => c.lang === l);
    const bytes = cs.reduce((s, c) => s + Buffer.byteLength(c.text), 0);
    const ms = best(() => { for (const c of cs) hashEmbedding(c.text, 512); }, 2);
    console.log(`embed ${l}: ${cs.length} chunks (avg ${(bytes / cs.length).toFixed(0)} B) ${(cs.length / ms * 1000).toFixed(0)} chunks/s, ${(bytes / ms / 1000).toFixed(2)} MB/s`);
  }
}

if (only.has('dims')) {
  console.log('\nheading queries -> page, brute-force cosine over chunk bodies (success@5, MRR@10)');
  for (const dims of [256, 512, 768, 1024]) {
    const out = [];
    for (const l of ['en', 'zh']) {
      const cs = chunks.filter((c) => c.lang === l);
      const vs = cs.map((c) => hashEmbedding(c.text, dims));
      const qs = queries.filter((q) => q.lang === l);
      let s5 = 0, mrr = 0;
      for (const q of qs) {
        const qv = hashEmbedding(q.q, dims);
        const order = vs.map((v, i) => { let d = 0; for (let j = 0; j < dims; j++) d += v[j] * qv[j]; return [d, i]; }).sort((a, b) => b[0] - a[0]);
        const ranked = [];
        for (const [, i] of order) { if (!ranked.includes(cs[i].page)) ranked.push(cs[i].page); if (ranked.length >= 10) break; }
        const r = ranked.indexOf(q.page);
        if (r >= 0 && r < 5) s5++;
        if (r >= 0) mrr += 1 / (r + 1);
      }
      out.push(`${l} ${(s5 / qs.length).toFixed(3)} ${(mrr / qs.length).toFixed(3)}`);
    }
    console.log(dims, out.join('  '));
  }
}

if (only.has('lang')) {
  for (const l of ['en', 'zh']) {
    const docs = pages.filter((p) => p.lang === l);
    const plain = {}, hinted = {};
    let t = 0, n = 0;
    for (const p of docs) {
      const docLang = lang.detectLanguageSync(p.src);
      for (const c of chunkMarkdown(p.src).chunks) {
        const s = performance.now();
        const r = lang.detectLanguageSync(c.text);
        t += performance.now() - s; n++;
        plain[r] = (plain[r] ?? 0) + 1;
        const h = lang.detectChunkLanguage(c.text, docLang);
        hinted[h] = (hinted[h] ?? 0) + 1;
      }
    }
    console.log(`lang ${l} chunks: ${JSON.stringify(plain)} (${(t / n * 1000).toFixed(0)} us each), with document hint ${JSON.stringify(hinted)}`);
  }
  const t = performance.now();
  await lang.detectLanguage('Les propriétés calculées sont mises en cache selon leurs dépendances réactives.');
  console.log(`fastText lid.176: first call ${(performance.now() - t).toFixed(0)} ms (load ${lang.languageModelLoadMs()?.toFixed(0)} ms)`);
}

if (only.has('cedict')) {
  const cache = mkdtempSync(join(tmpdir(), 'loom-cedict-bench-'));
  process.env.LOOM_CACHE_DIR = cache;
  const { expandQuery } = await import(core('text/crosslingual.js'));
  const cedict = await import(core('text/cedict.js'));
  try {
    let t = performance.now();
    expandQuery('组件');
    console.log(`\nCC-CEDICT first use (derive + cache): ${(performance.now() - t).toFixed(0)} ms`);
    cedict.resetDictionary();
    t = performance.now();
    expandQuery('组件');
    expandQuery('component');
    console.log(`from cache, both directions: ${(performance.now() - t).toFixed(0)} ms ${JSON.stringify(cedict.dictionaryLoadInfo())}`);
    for (const q of ['计算属性', '侦听器', '组件', '缓存', '模态对话框', '生命周期钩子', 'computed property', 'watcher', 'cache', 'modal dialog', 'lifecycle hooks']) {
      console.log(`  ${q} -> ${expandQuery(q).terms.join(', ')}`);
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
