import { createHash } from 'node:crypto';

/** One request as the fake server saw it. `body` is the parsed JSON (or undefined when it did not parse). */
export interface RecordedRequest {
  method: string;
  /** path without the query string, e.g. '/v1/chat/completions' */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: any;
  /** 'chat' | 'embeddings' | 'models' | 'other' */
  endpoint: Endpoint;
  /** position of this request among all requests (0-based) */
  index: number;
  at: number;
}

export type Endpoint = 'chat' | 'embeddings' | 'models' | 'other';

export type Fault =
  | 'reset' // destroy the socket right after reading the request
  | 'truncated-json' // 200 with half a JSON body
  | 'stream-cut' // streaming: write `cutAfterChunks` SSE chunks, then destroy the socket
  | 'hang'; // never answer (until the client gives up or the server closes)

/** What the server answers to one request. Every field is optional. */
export interface FakeReply {
  /** only consume this queued reply for this endpoint (default: any POST) */
  for?: 'chat' | 'embeddings';
  /** assistant text (chat) */
  content?: string;
  /** stream deltas, in order (default: `content` split into words) */
  chunks?: string[];
  /** delay before anything is written (slow headers) */
  delayMs?: number;
  /** delay between SSE chunks */
  chunkDelayMs?: number;
  /** an error status: the body is an OpenAI-style `{error: {message, type, code}}` */
  status?: number;
  /** message of that error body */
  errorMessage?: string;
  /** Retry-After header: a number of seconds or an HTTP date string */
  retryAfter?: number | string;
  headers?: Record<string, string>;
  fault?: Fault;
  /** for 'stream-cut': how many content chunks get out before the cut (default 2) */
  cutAfterChunks?: number;
  /** explicit usage; false leaves usage out (the server "forgets" it) */
  usage?: { prompt_tokens: number; completion_tokens: number } | false;
  /** a raw body to send as is, with status (default 200) */
  rawBody?: string;
  finishReason?: string;
}

/** Text of the last user message (strings or content parts). */
export function lastUserMessage(req: RecordedRequest): string {
  const messages: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') return contentText(messages[i].content);
  }
  return '';
}

/** All message texts joined, system first. */
export function allMessagesText(req: RecordedRequest): string {
  const messages: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  return messages.map((m) => contentText(m?.content)).join('\n');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** A rough, deterministic token count (about 4 characters a token, CJK one a character). */
export function roughTokens(text: string): number {
  const cjk = (text.match(/[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]/g) ?? []).length;
  return Math.max(1, cjk + Math.ceil((text.length - cjk) / 4));
}

/**
 * The answer when nothing is scripted: deterministic, and shaped so pipelines work end to end.
 * Numbered passages ("[1] ...") get an answer quoting the first one and citing [1];
 * a JSON request gets a small JSON object; anything else an echo of the question.
 */
export function defaultChatContent(req: RecordedRequest): string {
  const user = lastUserMessage(req);
  const all = allMessagesText(req);
  const passage = /\[1\][^\S\n]*[:.)]?[^\S\n]*([^\n]+)/.exec(all);
  const format = req.body?.response_format;
  if (format?.type === 'json_schema' && format.json_schema?.schema) return JSON.stringify(schemaInstance(format.json_schema.schema, firstSentence(user)));
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    return JSON.stringify({ answer: firstSentence(user), source: 'fake' });
  }
  if (passage) return `${firstSentence(passage[1])} [1]`;
  return `Fake answer: ${firstSentence(user)}`;
}

/** The smallest value a structured-outputs server would send for a JSON Schema: every property, one item per list. */
export function schemaInstance(schema: any, text: string): unknown {
  if (!schema || typeof schema !== 'object') return text;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = schemaInstance(v, text);
    return out;
  }
  if (type === 'array') return [schemaInstance(schema.items, text)];
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  if (type === 'null') return null;
  return text;
}

function firstSentence(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  const m = /^(.{1,200}?[.!?。！？])(\s|$)/.exec(clean);
  return (m ? m[1] : clean.slice(0, 200)).trim();
}

/** Splits text into stream deltas: words with their trailing space, CJK per character. */
export function splitDeltas(text: string): string[] {
  return text.match(/[\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af]|[^\s\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af]+\s*|\s+/g) ?? [];
}

/** A unit vector derived from sha256 of the text: the same text always gets the same vector. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const out: number[] = [];
  let counter = 0;
  while (out.length < dimensions) {
    const digest = createHash('sha256').update(`${counter++}\u0000${text}`).digest();
    for (let i = 0; i + 1 < digest.length && out.length < dimensions; i += 2) {
      out.push(digest.readUInt16BE(i) / 32767.5 - 1);
    }
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => v / norm);
}

export function chatCompletionBody(req: RecordedRequest, reply: FakeReply, content: string): object {
  return {
    id: `chatcmpl-fake-${req.index}`,
    object: 'chat.completion',
    created: Math.floor(req.at / 1000),
    model: req.body?.model ?? 'fake',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: reply.finishReason ?? 'stop', logprobs: null }],
    ...(reply.usage === false ? {} : { usage: usageFor(req, reply, content) }),
  };
}

export function usageFor(req: RecordedRequest, reply: FakeReply, content: string) {
  if (reply.usage) return { ...reply.usage, total_tokens: reply.usage.prompt_tokens + reply.usage.completion_tokens };
  const prompt = roughTokens(allMessagesText(req));
  const completion = roughTokens(content);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function streamChunk(req: RecordedRequest, delta: object, finishReason: string | null): string {
  const chunk = {
    id: `chatcmpl-fake-${req.index}`,
    object: 'chat.completion.chunk',
    created: Math.floor(req.at / 1000),
    model: req.body?.model ?? 'fake',
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function usageChunk(req: RecordedRequest, usage: object): string {
  const chunk = {
    id: `chatcmpl-fake-${req.index}`,
    object: 'chat.completion.chunk',
    created: Math.floor(req.at / 1000),
    model: req.body?.model ?? 'fake',
    choices: [],
    usage,
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function embeddingsBody(req: RecordedRequest, dimensions: number): object {
  const raw = req.body?.input;
  const inputs: unknown[] = Array.isArray(raw) ? raw : [raw];
  const dims = Number.isInteger(req.body?.dimensions) ? req.body.dimensions : dimensions;
  const base64 = req.body?.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    tokens += roughTokens(text);
    const vector = fakeEmbedding(text, dims);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  return { object: 'list', data, model: req.body?.model ?? 'fake', usage: { prompt_tokens: tokens, total_tokens: tokens } };
}
