import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN = ('store index vector chunk retry backoff timeout pipeline step model answer citation passage search hybrid lexical '
  + 'embedding language folder ingest prune rebuild compact lock writer reader cache ledger token cost summary translate '
  + 'markdown heading section release upgrade backup restore webhook plugin theme server client queue worker').split(' ');
const ZH = '索引 向量 检索 重试 超时 流水线 步骤 模型 回答 引用 段落 搜索 混合 词法 嵌入 语言 文件夹 摄取 重建 压缩 缓存 账本 摘要 翻译 标题 发布 升级 备份 恢复'.split(' ');

function sentence(r: () => number, zh: boolean): string {
  const words = zh ? ZH : EN;
  const n = 6 + Math.floor(r() * 10);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(words[Math.floor(r() * words.length)]);
  return zh ? `${out.join('')}。` : `${out.join(' ')}.`;
}

/** One Markdown page: a title, two or three sections of a few sentences, English or Chinese. */
export function page(r: () => number, title: string, zh: boolean): string {
  const sections = 2 + Math.floor(r() * 2);
  let text = `# ${title}\n\n`;
  for (let s = 0; s < sections; s++) {
    text += `## ${zh ? '部分' : 'Section'} ${s + 1}\n\n`;
    const sentences = 3 + Math.floor(r() * 5);
    for (let i = 0; i < sentences; i++) text += sentence(r, zh) + (zh ? '' : ' ');
    text += '\n\n';
  }
  return text;
}

/** `count` pages under dir/en and dir/zh (a third Chinese), replacing what was there. */
export function writeCorpus(dir: string, count: number, seed: number): string[] {
  rmSync(dir, { recursive: true, force: true });
  const r = rng(seed);
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const zh = i % 3 === 2;
    const rel = join(zh ? 'zh' : 'en', `topic-${Math.floor(i / 20)}`, `page-${i}.md`);
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), page(r, `${zh ? '页面' : 'Page'} ${i}`, zh));
    files.push(rel);
  }
  return files;
}
