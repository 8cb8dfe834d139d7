import { z } from 'zod';
import { HttpError } from './http-error.js';
import type { Turn } from './conversation.js';

const textPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  // assistant turns with tool calls carry null content
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
}).passthrough();

export const chatRequest = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
}).passthrough();

export type ChatRequest = z.infer<typeof chatRequest>;

/** Validates a chat request, with OpenAI's `param` naming the offending field. */
export function parseChatRequest(body: unknown, limits: { maxMessages: number; maxQuestionChars: number }): { request: ChatRequest; turns: Turn[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request', 'the body must be a JSON object with "model" and "messages"');
  }
  const parsed = chatRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
    throw new HttpError(400, 'invalid_request', `${param || 'body'}: ${issueText(issue)}`, { param: param || undefined });
  }
  const request = parsed.data;
  if (request.messages.length > limits.maxMessages) {
    throw new HttpError(400, 'too_many_messages', `messages: ${request.messages.length} messages, at most ${limits.maxMessages} are accepted`, { param: 'messages' });
  }
  const turns = request.messages.map((m) => ({ role: m.role, text: textOf(m.content) }));
  const last = [...turns].reverse().find((t) => t.role === 'user');
  if (!last || !last.text.trim()) throw new HttpError(400, 'invalid_request', 'messages: there is no user message with text to answer', { param: 'messages' });
  if (last.text.length > limits.maxQuestionChars) {
    throw new HttpError(400, 'question_too_long', `the question is ${last.text.length} characters; at most ${limits.maxQuestionChars} are accepted (see --max-question)`, { param: 'messages' });
  }
  return { request, turns };
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_union') return 'expected a string or an array of text parts';
  return issue.message;
}

function textOf(content: string | { type: string; text?: string }[] | null | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).filter((p) => p.type === 'text' && typeof p.text === 'string').map((p) => p.text).join('\n');
}
