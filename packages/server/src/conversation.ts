import type { ChatMessage } from '@promptloom/core';
import type { Service } from './service.js';

export interface Turn {
  role: string;
  text: string;
}

const REWRITE_PROMPT = [
  'You rewrite the last message of a conversation about some documentation into one standalone question',
  'that can be understood without the conversation: resolve "it", "that", "and in Chinese?", "what about for teams?"',
  'from the earlier turns. Write it in the language the user wants the answer in. Reply with the question only,',
  'no preamble, no answer. If the last message already stands alone, repeat it unchanged.',
].join(' ');

/** The last user message: offline (no model to rewrite with) it is the question as it stands. */
export function lastUserText(turns: Turn[]): string {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i].role === 'user') return turns[i].text.trim();
  return '';
}

/**
 * The question to retrieve for. With a model and earlier turns, the last message is rewritten into
 * a standalone question (a follow-up alone retrieves nothing useful); otherwise it is used as is.
 */
export interface Standalone {
  question: string;
  /** tokens the rewrite cost (zero when nothing was rewritten) */
  promptTokens: number;
  completionTokens: number;
}

export async function standaloneQuestion(service: Service, turns: Turn[], signal: AbortSignal): Promise<Standalone> {
  const last = lastUserText(turns);
  const earlier = turns.slice(0, turns.map((t) => t.role).lastIndexOf('user')).filter((t) => t.role === 'user' || t.role === 'assistant');
  const entry = service.catalog.get('ask');
  const asIs = { question: last, promptTokens: 0, completionTokens: 0 };
  if (!service.models || earlier.length === 0 || !entry) return asIs;
  const core = await import('@promptloom/core');
  const model = await core.resolveModel(undefined, entry.pipeline, { models: service.models, env: service.options.env, cache: false });
  if (!model) return asIs;
  const transcript = earlier.slice(-8).map((t) => `${t.role}: ${clip(t.text, 1500)}`).join('\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: REWRITE_PROMPT },
    { role: 'user', content: `Conversation:\n${transcript}\n\nLast message: ${last}\n\nStandalone question:` },
  ];
  const result = await model.call({ messages, temperature: 0, maxTokens: 200, signal, cache: false });
  const label = result.model;
  service.metrics.modelCalls.inc({ model: label, outcome: 'ok' });
  service.metrics.tokens.inc({ model: label, kind: 'prompt' }, result.usage.promptTokens);
  service.metrics.tokens.inc({ model: label, kind: 'completion' }, result.usage.completionTokens);
  const rewritten = result.text.trim().replace(/^["'“]|["'”]$/g, '').split('\n')[0].trim();
  return { question: rewritten || last, promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
