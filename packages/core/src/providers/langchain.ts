import { LoomError } from '../errors.js';
import type { ModelCallRequest } from './types.js';
import { mapProviderError, type CallTarget } from './errors.js';
import { redact, redactSecrets, streamRedactor } from './redact.js';

/** The part of a LangChain BaseChatModel we use, so no LangChain class is imported here. */
export interface ChatModelLike {
  invoke(input: unknown, options?: Record<string, unknown>): Promise<MessageLike>;
  stream?(input: unknown, options?: Record<string, unknown>): Promise<AsyncIterable<MessageLike>>;
}

interface MessageLike {
  content: unknown;
  usage_metadata?: { input_tokens?: number; output_tokens?: number };
  response_metadata?: Record<string, unknown>;
}

export interface RawCall {
  text: string;
  /** the provider's usage, when it sent any */
  usage?: { promptTokens: number; completionTokens: number };
}

export function isChatModelLike(value: unknown): value is ChatModelLike {
  return Boolean(value) && typeof (value as ChatModelLike).invoke === 'function';
}

/**
 * One attempt at a chat call through a LangChain chat model: invoke, or stream when the request
 * has onToken. A stream that breaks after text has arrived is a retryable PROVIDER_BAD_RESPONSE
 * and its partial text is dropped, never returned as an answer.
 */
export async function callChatModel(
  model: ChatModelLike, request: ModelCallRequest, target: CallTarget,
  options: { callOptions?: Record<string, unknown>; requireFinish?: boolean } = {},
): Promise<RawCall> {
  const messages = request.messages.map((m) => [m.role, m.content] as [string, string]);
  const callOptions = { ...options.callOptions, ...(request.signal ? { signal: request.signal } : {}) };
  if (!request.onToken || typeof model.stream !== 'function') {
    let message: MessageLike;
    try {
      message = await model.invoke(messages, callOptions);
    } catch (error) {
      throw mapProviderError(error, target, request.signal);
    }
    // model output is untrusted: a hostile server can echo our Authorization header into the answer
    const text = redactSecrets(contentText(message.content), target.env);
    if (request.onToken) request.onToken(text);
    return { text, usage: usageOf(message) };
  }
  return streamChat(model, messages, callOptions, request, target, options.requireFinish ?? false);
}

async function streamChat(
  model: ChatModelLike, messages: unknown, callOptions: Record<string, unknown>,
  request: ModelCallRequest, target: CallTarget, requireFinish: boolean,
): Promise<RawCall> {
  let text = '';
  let usage: RawCall['usage'];
  let finished = false;
  const redactor = streamRedactor(target.env);
  let received = 0;
  let chunks = 0;
  const emit = (delta: string) => {
    if (!delta) return;
    text += delta;
    request.onToken!(delta);
  };
  try {
    for await (const chunk of await model.stream!(messages, callOptions)) {
      const delta = contentText(chunk.content);
      chunks++;
      received += delta.length;
      emit(redactor.push(delta));
      usage = usageOf(chunk) ?? usage;
      if (chunk.response_metadata?.finish_reason) finished = true;
    }
  } catch (error) {
    // the server answered and started the stream: whatever breaks now is a bad response, not a
    // server that is down (undici reports a cut socket as UND_ERR_SOCKET, like a refused one)
    if (chunks > 0 && !request.signal?.aborted) throw streamBroken(target, received, error);
    const mapped = mapProviderError(error, target, request.signal);
    // cut before the first chunk was read: still a broken stream, and its message says so
    if (mapped.code === 'PROVIDER_BAD_RESPONSE' && !request.signal?.aborted) throw streamBroken(target, received, error);
    throw mapped;
  }
  if (request.signal?.aborted) throw mapProviderError(request.signal.reason, target, request.signal);
  if (requireFinish && !finished) throw streamBroken(target, received, undefined);
  emit(redactor.end());
  return { text, usage };
}

function streamBroken(target: CallTarget, chars: number, cause: unknown): LoomError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new LoomError(
    'PROVIDER_BAD_RESPONSE',
    redact(`model ${target.label}${target.baseUrl ? ` at ${target.baseUrl}` : ''}: the stream broke after ${chars} characters${why}; the partial answer was discarded`, target.env),
    { retryable: true, model: target.label },
  );
}

function usageOf(message: MessageLike): RawCall['usage'] {
  const u = message.usage_metadata;
  if (!u || typeof u.input_tokens !== 'number' || typeof u.output_tokens !== 'number') return undefined;
  return { promptTokens: u.input_tokens, completionTokens: u.output_tokens };
}

/** Text of a message's content, whether a string or a list of content parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p === 'string' ? p : p && typeof p.text === 'string' && (p.type === undefined || p.type === 'text') ? p.text : '')).join('');
  }
  return '';
}
