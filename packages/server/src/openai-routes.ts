import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { askQuestion, type AskAnswer } from './ask-adapter.js';
import { parseChatRequest, type ChatRequest } from './chat-schema.js';
import { standaloneQuestion, type Standalone } from './conversation.js';
import { HttpError, errorBody, toHttpError } from './http-error.js';
import type { Service } from './service.js';
import { SseStream, clientGoneSignal } from './sse.js';

const OWNER = 'promptloom';

/** OpenAI-compatible routes: every pipeline that answers a question is a "model". */
export function registerOpenAI(app: FastifyInstance, service: Service): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: service.catalog.chatModels().map((e) => ({ id: e.name, object: 'model', created: 0, owned_by: OWNER, description: e.description })),
  }));

  app.post('/v1/chat/completions', async (request, reply) => {
    const { request: chat, turns } = parseChatRequest(request.body, service.options);
    const entry = service.catalog.get(chat.model);
    if (!entry?.questionInput) {
      const names = service.catalog.chatModels().map((e) => e.name).join(', ');
      throw new HttpError(404, 'model_not_found', `The model '${chat.model}' does not exist; available models: ${names}`, { param: 'model', type: 'invalid_request_error' });
    }
    const gone = clientGoneSignal(reply);
    const completion = new Completion(chat);
    if (chat.stream) return streamAnswer(service, completion, turns, reply, gone);
    const standalone = await standaloneQuestion(service, turns, gone.signal);
    const answer = await askQuestion(service, { entry, question: standalone.question, signal: gone.signal });
    return completion.body(answer, standalone);
  });
}

async function streamAnswer(service: Service, completion: Completion, turns: Parameters<typeof standaloneQuestion>[1], reply: FastifyReply, gone: AbortController): Promise<void> {
  const entry = service.catalog.get(completion.model)!;
  const sse = SseStream.open(reply);
  sse.data(completion.chunk({ role: 'assistant', content: '' }));
  let streamed = false;
  try {
    const standalone = await standaloneQuestion(service, turns, gone.signal);
    const answer = await askQuestion(service, {
      entry, question: standalone.question, signal: gone.signal,
      onToken: (delta) => {
        streamed = true;
        sse.data(completion.chunk({ content: delta }));
      },
    });
    // an extractive answer (or a pipeline whose last step is not a model) arrives whole
    if (!streamed) for (const piece of pieces(answer.answer)) sse.data(completion.chunk({ content: piece }));
    sse.data({ ...completion.chunk({}, 'stop'), citations: answer.citations, loom: completion.extras(answer, standalone) });
    if (completion.includeUsage) sse.data({ ...completion.chunk(null), usage: completion.usage(answer, standalone) });
    sse.data('[DONE]');
  } catch (error) {
    const http = toHttpError(error);
    if (!gone.signal.aborted) {
      service.metrics.errors.inc({ code: http.code });
      sse.data(errorBody(http));
      sse.data('[DONE]');
    }
  } finally {
    sse.end();
  }
}

/** Lines, then words: the whole answer as stream deltas that a client can render as they come. */
function pieces(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [text];
}

/** One chat completion's id, timestamps and shapes, as OpenAI writes them. */
class Completion {
  readonly id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  readonly created = Math.floor(Date.now() / 1000);
  readonly model: string;
  readonly includeUsage: boolean;

  constructor(private readonly request: ChatRequest) {
    this.model = request.model;
    this.includeUsage = request.stream_options?.include_usage === true;
  }

  chunk(delta: Record<string, unknown> | null, finish: 'stop' | null = null) {
    const choices = delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }];
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, system_fingerprint: null, choices };
  }

  body(answer: AskAnswer, standalone: Standalone) {
    return {
      id: this.id, object: 'chat.completion', created: this.created, model: this.model, system_fingerprint: null,
      choices: [{
        index: 0, logprobs: null, finish_reason: 'stop',
        message: { role: 'assistant', content: answer.answer, refusal: null, citations: answer.citations },
      }],
      usage: this.usage(answer, standalone),
      loom: this.extras(answer, standalone),
    };
  }

  /** What the answer was made from: the question retrieved for (after rewriting), grounded, extractive. */
  extras(answer: AskAnswer, standalone: Standalone) {
    return { question: standalone.question, grounded: answer.grounded, extractive: answer.extractive, lang: answer.lang ?? null };
  }

  /** Token counts: the model's, plus the rewrite's; offline (no model call) counted on the texts. */
  usage(answer: AskAnswer, standalone: Standalone) {
    let prompt = answer.usage.promptTokens + standalone.promptTokens;
    let completion = answer.usage.completionTokens + standalone.completionTokens;
    if (answer.usage.calls === 0) {
      prompt += estimateTokens(this.request.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n'));
      completion += estimateTokens(answer.answer);
    }
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }
}

let counter: ((text: string) => number) | undefined;
/** core's tokenizer, loaded with the first offline answer */
function estimateTokens(text: string): number {
  return counter ? counter(text) : Math.ceil(text.length / 4);
}
export async function loadTokenCounter(): Promise<void> {
  const { countTokens } = await import('@promptloom/core');
  counter = (text) => countTokens(text);
}
