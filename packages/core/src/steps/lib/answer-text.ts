import type { ChatMessage } from '../../providers/types.js';
import type { Passage } from './passages.js';
import { languageName, renderPrompt, type PromptOverrides } from './prompts.js';

/** What the model is asked to reply, exactly, when the passages do not hold the answer. */
export const NO_ANSWER = 'NO_ANSWER';

const REFUSALS: Record<string, string> = {
  en: "I can't answer that from the available documents.",
  zh: '根据现有文档，我无法回答这个问题。',
  ja: '利用可能な文書からは、この質問に答えられません。',
  ko: '제공된 문서로는 이 질문에 답할 수 없습니다.',
  fr: 'Je ne peux pas répondre à cette question à partir des documents disponibles.',
  de: 'Diese Frage lässt sich mit den vorhandenen Dokumenten nicht beantworten.',
  es: 'No puedo responder a esa pregunta con los documentos disponibles.',
};

/** A short refusal in the question's language (English when we have none in that language). */
export function refusal(lang: string): string {
  return REFUSALS[baseLang(lang)] ?? REFUSALS.en;
}

/** The one-line note that leads an extractive answer; it says plainly what the reader gets. */
export function extractiveNote(lang: string, translated: boolean): string {
  if (baseLang(lang) === 'zh') return translated ? '摘录式回答（未配置模型；摘自原文，未翻译）：' : '摘录式回答（未配置模型；摘自原文）：';
  return translated
    ? 'Extractive answer (no model configured; quoted from the sources, not translated):'
    : 'Extractive answer (no model configured; quoted from the sources):';
}

/** An extractive summary quoted in another language than the one asked for. */
export function untranslatedNote(requested: string): string {
  return baseLang(requested) === 'zh'
    ? '摘录式摘要（未配置模型；摘自原文，未翻译）'
    : 'Extractive summary (no model configured; quoted from the source, not translated)';
}

/** Nothing quotable: the input was code, tables or markup only. */
export function noProseNote(requested: string): string {
  return baseLang(requested) === 'zh'
    ? '无可摘录的文字（未配置模型；输入只有代码、表格或标记）'
    : 'Nothing to quote (no model configured; the input has only code, tables or markup)';
}

export function baseLang(lang: string | undefined): string {
  return (lang ?? '').toLowerCase().split(/[-_]/)[0];
}

/** True when a model's reply is the NO_ANSWER sentinel (possibly with punctuation or a short excuse after it). */
export function isNoAnswer(text: string): boolean {
  const t = text.trim().replace(/^[`*"'「『\s]+/, '');
  return t.startsWith(NO_ANSWER) || t === NO_ANSWER.toLowerCase();
}

/** A language the prompt can name: 'zh' -> 'Chinese'; 'other' and unknowns -> the question's language. */
export function promptLanguage(lang: string): string {
  return lang && lang !== 'other' && lang !== 'und' ? languageName(lang) : 'the same language as the question';
}

// A passage must not be able to close its own fence and speak as the prompt.
function fenceSafe(text: string): string {
  return text.replace(/<(\/?)(passages?)\b/gi, '‹$1$2');
}

function attr(text: string): string {
  return text.replace(/"/g, "'").replace(/[\r\n]+/g, ' ');
}

export interface AnswerPromptInput {
  question: string;
  passages: Passage[];
  lang: string;
  maxWords?: number;
  overrides?: PromptOverrides;
  baseDir?: string;
}

/**
 * The answer prompt: rules in the system message, passages fenced as data in the user
 * message. Only the question and the passages enter it: no environment, no keys.
 */
export async function answerMessages(input: AnswerPromptInput): Promise<ChatMessage[]> {
  const language = promptLanguage(input.lang);
  const scope = {
    question: input.question,
    passages: input.passages.map((p) => ({ n: p.n, source: attr(p.source), heading: attr(p.heading), text: fenceSafe(p.text.trim()), lang: p.lang ?? '' })),
    count: input.passages.length,
    language,
    lang: input.lang,
    sentinel: NO_ANSWER,
    max_words: input.maxWords ?? 200,
  };
  const [system, user] = await Promise.all([
    renderPrompt('answer', 'system', scope, input.overrides, input.baseDir),
    renderPrompt('answer', 'user', scope, input.overrides, input.baseDir),
  ]);
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

/**
 * Wraps a token sink so the live view never shows the NO_ANSWER sentinel: text is held back
 * while it could still be the start of the sentinel, then released as it arrives.
 */
export function sentinelGate(sink: (delta: string) => void): { push: (delta: string) => void; end: () => void } {
  let held = '';
  let open = false;
  return {
    push(delta) {
      if (open) return sink(delta);
      held += delta;
      const t = held.trimStart();
      if (t.length > 0 && !NO_ANSWER.startsWith(t.slice(0, NO_ANSWER.length)) ) {
        open = true;
        sink(held);
        held = '';
      }
    },
    end() {
      if (!open && held.trim() && !isNoAnswer(held)) sink(held);
      held = '';
    },
  };
}
