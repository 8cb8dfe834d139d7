import { LoomError } from '../../errors.js';
import type { ChatMessage, ModelHandle } from '../../providers/types.js';
import { checkUnit } from './markdown-check.js';
import type { Unit } from './markdown-segments.js';
import { languageName, renderPrompt, type PromptOverrides } from './prompts.js';

/*
 * Units go to the model in batches, as a JSON array, and come back as one: each reply is
 * checked unit by unit (every placeholder once, nothing added). A bad batch is asked again
 * once with the problems spelled out; a second bad reply fails the step, naming the batch.
 */

/** Source tokens per batch: small enough for the reply (often longer than the source) to fit any context. */
export const BATCH_TOKENS = 1200;
export const BATCH_UNITS = 40;

export function batchUnits(units: Unit[], count: (t: string) => number, maxTokens = BATCH_TOKENS): number[][] {
  const batches: number[][] = [];
  let cur: number[] = [];
  let tokens = 0;
  units.forEach((u, i) => {
    const t = count(u.text) + 4;
    if (cur.length && (tokens + t > maxTokens || cur.length >= BATCH_UNITS)) {
      batches.push(cur);
      cur = [];
      tokens = 0;
    }
    cur.push(i);
    tokens += t;
  });
  if (cur.length) batches.push(cur);
  return batches;
}

export interface BatchContext {
  model: ModelHandle;
  from: string;
  to: string;
  glossary: { from: string; to: string }[];
  stepId: string;
  signal?: AbortSignal;
  overrides?: PromptOverrides;
  baseDir?: string;
}

function describeLanguage(code: string, fallback: string): string {
  return code && code !== 'other' && code !== 'und' ? languageName(code) : fallback;
}

async function batchMessages(units: Unit[], ctx: BatchContext): Promise<ChatMessage[]> {
  const scope = {
    from_language: describeLanguage(ctx.from, 'the source language'),
    to_language: describeLanguage(ctx.to, ctx.to),
    from: ctx.from,
    to: ctx.to,
    count: units.length,
    glossary: ctx.glossary,
    items_json: JSON.stringify({ items: units.map((u) => u.text) }, null, 1),
  };
  const [system, user] = await Promise.all([
    renderPrompt('translate', 'system', scope, ctx.overrides, ctx.baseDir),
    renderPrompt('translate', 'user', scope, ctx.overrides, ctx.baseDir),
  ]);
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

/** The translations array from a reply, tolerating a code fence or words around the JSON. */
export function parseTranslations(reply: string): unknown[] | undefined {
  const text = reply.trim().replace(/^```(?:json)?\s*\n?/i, '').replace(/\n?```\s*$/, '');
  const candidates = [text];
  const obj = /\{[\s\S]*\}/.exec(text);
  if (obj) candidates.push(obj[0]);
  const arr = /\[[\s\S]*\]/.exec(text);
  if (arr) candidates.push(arr[0]);
  for (const c of candidates) {
    try {
      const v = JSON.parse(c) as unknown;
      if (Array.isArray(v)) return v;
      if (v && typeof v === 'object') {
        const list = (v as Record<string, unknown>).translations ?? Object.values(v).find(Array.isArray);
        if (Array.isArray(list)) return list;
      }
    } catch {
      // not this candidate
    }
  }
  return undefined;
}

function problemsOf(units: Unit[], list: unknown[] | undefined): string[] {
  if (!list) return ['the reply is not the JSON object {"translations": [...]} that was asked for'];
  if (list.length !== units.length) return [`the reply has ${list.length} translations for ${units.length} items`];
  return units.flatMap((u, i) => {
    const p = checkUnit(u, list[i]);
    return p ? [`item ${i + 1} ${p}`] : [];
  });
}

/** What a batch reply must be: sent as structured outputs where the server takes them. */
function replySchema(count: number): Record<string, unknown> {
  return {
    type: 'object', required: ['translations'], additionalProperties: false,
    properties: { translations: { type: 'array', items: { type: 'string' }, minItems: count, maxItems: count } },
  };
}

/** Translates one batch: one call, and one corrective call when the reply breaks a check. */
export async function translateBatch(units: Unit[], index: number, total: number, ctx: BatchContext): Promise<string[]> {
  const messages = await batchMessages(units, ctx);
  const schema = replySchema(units.length);
  // only a reply that passes the unit checks is cached: a bad one would be replayed on every retry
  const accept = (text: string) => problemsOf(units, parseTranslations(text)).length === 0;
  let reply = await ctx.model.call({ messages, json: true, schema, accept, signal: ctx.signal });
  let list = parseTranslations(reply.text);
  let problems = problemsOf(units, list);
  if (problems.length === 0) return list as string[];
  const retry: ChatMessage[] = [
    ...messages,
    { role: 'assistant', content: reply.text },
    {
      role: 'user',
      content: `Your reply broke the rules: ${problems.slice(0, 8).join('; ')}. Reply again with only the JSON object {"translations": [...]}: ${units.length} strings, every ⟦n⟧ token of an item exactly once in its translation.`,
    },
  ];
  reply = await ctx.model.call({ messages: retry, json: true, schema, accept, signal: ctx.signal });
  list = parseTranslations(reply.text);
  problems = problemsOf(units, list);
  if (problems.length === 0) return list as string[];
  const where = `batch ${index + 1} of ${total}`;
  const model = `${ctx.model.provider}:${ctx.model.model}`;
  if (!list) {
    // not JSON at all: say so, rather than blame the Markdown
    throw new LoomError('PROVIDER_BAD_RESPONSE', `translate step "${ctx.stepId}": the model's reply was not the JSON {"translations": [...]} asked for, twice, in ${where}: ${JSON.stringify(reply.text.slice(0, 80))}`, {
      stepId: ctx.stepId, model, retryable: true,
      hint: 'the model or server may not support JSON replies: set response_format on the model entry (json_schema or json_object), or use a model that follows JSON instructions',
    });
  }
  throw new LoomError('PROVIDER_BAD_RESPONSE', `translate step "${ctx.stepId}": the model broke the protected Markdown twice in ${where}: ${problems.slice(0, 3).join('; ')}`, {
    stepId: ctx.stepId, model, retryable: false,
    hint: 'code, links and ⟦n⟧ tokens must come back unchanged; try a stronger model or translate the document in smaller parts',
  });
}
