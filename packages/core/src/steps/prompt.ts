import { LoomError } from '../errors.js';
import type { StepContext } from '../engine/types.js';
import type { ChatMessage } from '../providers/types.js';
import { promptParams, type PromptParams } from './params.js';
import { defineStep } from './registry.js';

export interface PromptOutput {
  text: string;
  json?: unknown;
}

type Validator = ((value: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
const validators = new Map<string, Promise<Validator>>();

/** Compiled once per distinct schema; ajv is imported only by pipelines that use `schema:`. */
function validatorFor(schema: Record<string, unknown>, stepId: string): Promise<Validator> {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = (async () => {
      const { Ajv } = await import('ajv');
      try {
        return new Ajv({ allErrors: true, strict: false }).compile(schema) as Validator;
      } catch (error) {
        throw new LoomError('SPEC_INVALID', `the schema of step "${stepId}" is not a valid JSON Schema: ${(error as Error).message}`, { stepId });
      }
    })();
    validators.set(key, v);
    v.catch(() => validators.delete(key));
  }
  return v;
}

function schemaInstruction(schema: Record<string, unknown>): string {
  return `Reply with only a JSON value that matches this JSON Schema, with no prose and no code fences:\n${JSON.stringify(schema)}`;
}

export function buildMessages(p: PromptParams): ChatMessage[] {
  const messages: ChatMessage[] = p.messages ? p.messages.map((m) => ({ ...m })) : [{ role: 'user', content: p.template ?? '' }];
  const system = [p.system, p.schema && schemaInstruction(p.schema)].filter((s): s is string => Boolean(s)).join('\n\n');
  if (!system) return messages;
  if (messages[0]?.role === 'system') messages[0] = { role: 'system', content: `${messages[0].content}\n\n${system}` };
  else messages.unshift({ role: 'system', content: system });
  return messages;
}

/** The JSON inside a reply; tolerates the code fences and preambles models add despite being told not to. */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = (fenced ? fenced[1] : text).trim();
  try {
    return JSON.parse(body);
  } catch (error) {
    const start = body.search(/[[{]/);
    const end = Math.max(body.lastIndexOf('}'), body.lastIndexOf(']'));
    if (start >= 0 && end > start) return JSON.parse(body.slice(start, end + 1));
    throw error;
  }
}

function badResponse(ctx: StepContext, model: string, message: string, cause?: unknown): LoomError {
  return new LoomError('PROVIDER_BAD_RESPONSE', message, {
    stepId: ctx.stepId, model, cause, retryable: true,
    hint: 'the step retries on its own (see retry:); a smaller or looser schema, or temperature 0, helps models that drift',
  });
}

function matches(text: string, validate: Validator): boolean {
  try {
    return validate(extractJson(text));
  } catch {
    return false;
  }
}

function parseReply(text: string, validate: Validator, ctx: StepContext, model: string): unknown {
  let json: unknown;
  try {
    json = extractJson(text);
  } catch (error) {
    throw badResponse(ctx, model, `the model's reply is not valid JSON: ${JSON.stringify(text.slice(0, 80))}`, error);
  }
  if (!validate(json)) {
    const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
    throw badResponse(ctx, model, `the model's JSON does not match the schema: ${problems.join('; ')}`);
  }
  return json;
}

export const promptStep = defineStep<PromptParams, PromptOutput>({
  kind: 'prompt',
  description: 'call a model with a template or messages; text out, or JSON checked against a JSON Schema',
  params: promptParams,
  outputs: ['text', 'json'],
  callsModel: true,
  maxCalls: () => 1,
  async run(p, ctx) {
    const model = ctx.model;
    if (!model) {
      throw new LoomError('PROVIDER_NOT_CONFIGURED', `the prompt step needs a model and none is configured`, {
        stepId: ctx.stepId,
        hint:
          'add `models:` to the pipeline (e.g. models: { default: { provider: openai, model: gpt-4o-mini } }) or pass ' +
          '--model openai:NAME; for a local OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) also set OPENAI_BASE_URL',
      });
    }
    const label = `${model.provider}:${model.model}`;
    const validate = p.schema ? await validatorFor(p.schema, ctx.stepId) : undefined;
    const result = await model.call({
      messages: buildMessages(p),
      temperature: p.temperature,
      maxTokens: p.max_tokens,
      json: p.schema !== undefined,
      schema: p.schema,
      // a reply that fails the schema is never cached, so a retry asks the model again
      accept: validate && ((text) => matches(text, validate)),
      onToken: p.schema ? undefined : ctx.onToken,
      signal: ctx.signal,
    });
    if (!p.schema || !validate) return { text: result.text };
    return { text: result.text, json: parseReply(result.text, validate, ctx, label) };
  },
});
