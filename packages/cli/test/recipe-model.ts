// A deterministic stand-in for a chat model, for running the recipes' `mode: model` cases
// against the fake OpenAI-compatible server. It recognises each shipped prompt (answer,
// summarize, translate, and the recipes' own prompt steps) and replies the way a careful model
// would: answers quote the passage that best matches the question and cite it, translations
// swap words through a small dictionary and keep every ⟦n⟧ token, JSON prompts get JSON.
import { allMessagesText, lastUserMessage, type RecordedRequest } from '@promptloom/core/testing';

const STOP = new Set(('the a an and or of to in on for is are do does how what which when why can i my you your it this that with from by be as '
  + 'at not no should know about there will would could want need get').split(' '));

function systemText(req: RecordedRequest): string {
  const messages: { role: string; content: unknown }[] = req.body?.messages ?? [];
  return messages.filter((m) => m.role === 'system').map((m) => String(m.content)).join('\n');
}

/** Content words (light stemming) and CJK bigrams: enough overlap to find the passage that answers. */
export function terms(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[a-z][a-z0-9_-]{2,}/g) ?? []) {
    if (!STOP.has(w)) out.add(w.replace(/ies$/, 'y').replace(/(es|s)$/, '').slice(0, 6));
  }
  for (const run of text.match(/[\u4e00-\u9fff]+/g) ?? []) for (let i = 0; i + 1 < run.length; i++) out.add(run.slice(i, i + 2));
  return out;
}

function sentences(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, ' ').replace(/^\s*[|#>].*$/gm, ' ');
  return prose.split('\n').flatMap((line) => line.split(/(?<=[.!?:])\s+|(?<=[。！？：])/)).map((s) => s.trim()).filter((s) => s.length > 12);
}

const hasCjk = (s: string) => /[\u4e00-\u9fff]/.test(s);

function answer(req: RecordedRequest): string {
  const user = lastUserMessage(req);
  const question = /\nQuestion: ([^\n]+)/.exec(user)?.[1] ?? '';
  const wantsChinese = /Answer in Chinese/i.test(user);
  const q = terms(question);
  const scored: { n: number; sentence: string; hits: number }[] = [];
  for (const m of user.matchAll(/<passage n="(\d+)"(?: [a-z]+="[^"]*")*>\n([\s\S]*?)\n<\/passage>/g)) {
    for (const sentence of sentences(m[2])) {
      const words = terms(sentence);
      const hits = [...q].filter((t) => words.has(t)).length;
      if (hits > 0) scored.push({ n: Number(m[1]), sentence, hits });
    }
  }
  scored.sort((a, b) => b.hits - a.hits);
  if (!scored.length || scored[0].hits / Math.max(1, q.size) < 0.25) return 'NO_ANSWER';
  const picked = scored.slice(0, 3).filter((s) => s.hits >= scored[0].hits - 1);
  const body = picked.map((s) => `${s.sentence} [${s.n}]`).join(' ');
  if (wantsChinese && !hasCjk(body)) return `根据文档：${body}`;
  if (!wantsChinese && hasCjk(body)) return `According to the docs: ${body}`;
  return body;
}

function summarize(req: RecordedRequest): string {
  const user = lastUserMessage(req);
  const text = /<text>\n?([\s\S]*?)<\/text>/.exec(user)?.[1] ?? user;
  const picked = sentences(text).slice(0, 2);
  const lines = picked.length ? picked : [text.trim().slice(0, 120)];
  return /bullet list/.test(user) ? lines.map((l) => `- ${l}`).join('\n') : lines.join(' ');
}

const WORDS: Record<string, string> = {
  importing: '导入', import: '导入', your: '你的', reads: '读取', an: '一个', file: '文件', exported: '导出的', from: '从',
  another: '另一个', reader: '阅读器', see: '参见', the: '', guide: '指南', for: '以', details: '详情', every: '每个',
  keeps: '保留', its: '它的', folder: '文件夹', run: '运行', to: '来', check: '检查', result: '结果', and: '和',
};

function translateItem(item: string, glossary: [string, string][]): string {
  let out = item;
  for (const [from, to] of glossary) out = out.replace(new RegExp(`\\b${from}s?\\b`, 'gi'), to);
  out = out.replace(/[A-Za-z]+/g, (w) => WORDS[w.toLowerCase()] ?? w);
  return out.replace(/ {2,}/g, ' ');
}

function translate(req: RecordedRequest): string {
  const items: string[] = JSON.parse(/\{[\s\S]*\}/.exec(lastUserMessage(req))?.[0] ?? '{"items":[]}').items;
  const glossary = [...systemText(req).matchAll(/^\s+- (.+?) -> (.+)$/gm)].map((m) => [m[1], m[2]] as [string, string]);
  return JSON.stringify({ translations: items.map((i) => translateItem(i, glossary)) });
}

/** digest: pages grouped by their folder, numbered as the prompt lists them. */
function topics(req: RecordedRequest): string {
  const groups = new Map<string, number[]>();
  for (const m of lastUserMessage(req).matchAll(/^(\d+)\. .*? \(([^)]+)\):/gm)) {
    const folder = m[2].split('/').slice(0, -1).join('/') || 'other';
    groups.set(folder, [...(groups.get(folder) ?? []), Number(m[1])]);
  }
  return JSON.stringify({ topics: [...groups].map(([title, pages]) => ({ title: `Pages in ${title}`, pages })) });
}

/** faq: one question per distinct section heading among the passages. */
function questions(req: RecordedRequest): string {
  const headings = [...lastUserMessage(req).matchAll(/^\[\d+\] \([^›\n]+› ([^)\n]+)\)$/gm)].map((m) => m[1].split(' > ').pop()!.trim());
  const unique = [...new Set(headings)].slice(0, 5);
  return JSON.stringify({ questions: unique.map((h) => (hasCjk(h) ? `${h}是怎样的？` : `What should I know about ${h.toLowerCase()}?`)) });
}

function write(req: RecordedRequest): string {
  const brief = /Brief: ([^\n]+)/.exec(lastUserMessage(req))?.[1] ?? '';
  return /code "zh"/.test(systemText(req)) ? `欢迎！这是一篇草稿：${brief}` : `A draft for "${brief}": short lines, written for the community.`;
}

/** The handler for startFakeOpenAI: replies by the prompt it recognises. */
export function recipeModel(req: RecordedRequest): string | undefined {
  if (req.endpoint !== 'chat') return undefined;
  const system = systemText(req);
  if (system.includes('You answer questions using only the numbered passages')) return answer(req);
  if (system.includes('You write faithful summaries')) return summarize(req);
  if (system.includes('You are a professional translator')) return translate(req);
  if (system.includes('You group documentation pages into topics')) return topics(req);
  if (system.includes('You write the FAQ section')) return questions(req);
  if (system.includes('You are a careful writer')) return write(req);
  return `Unrecognised prompt: ${allMessagesText(req).slice(0, 80)}`;
}
