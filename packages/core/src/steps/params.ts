import { z } from 'zod';

/**
 * Parameter schemas of the six built-in step kinds: the single source of truth for the
 * validator, the generated JSON Schema and the step implementations (which receive the
 * parameters already rendered, so these schemas describe values after templating).
 * In YAML any value may also be a template string ("{{ ... }}"); the validator skips
 * type checks under such values and the engine checks them again after rendering.
 */

/** One retrieval hit (see store/types.ts `Hit`); extra fields such as title/metadata are kept. */
export const hitSchema = z.looseObject({
  id: z.string(),
  source: z.string(),
  heading: z.string(),
  lang: z.string(),
  score: z.number(),
  text: z.string(),
});

/** What a `retrieve` step outputs, accepted wherever hits are accepted. */
export const retrieveOutputSchema = z.looseObject({
  hits: z.array(hitSchema),
  text: z.string(),
});

export const retrieveParams = z.strictObject({
  query: z.string().min(1).describe('what to search for'),
  k: z.int().min(1).max(200).default(6).describe('number of hits (1-200)'),
  mode: z.enum(['hybrid', 'vector', 'lexical']).optional().describe('retrieval mode, default hybrid'),
  lang: z.string().optional().describe("only hits in this language, e.g. 'en' or 'zh'"),
  filter: z.record(z.string(), z.string()).optional().describe('metadata filter: source glob, tag, lang'),
  store: z.string().optional().describe("store directory; default the pipeline's store:"),
  mmr: z.boolean().optional().describe('diversify hits (maximal marginal relevance)'),
  min_score: z.number().optional().describe('drop hits scoring below this'),
});

/**
 * Prompt overrides shared by the model steps (summarize, translate, answer). Each is a Liquid
 * template; the shipped ones live in packages/core/prompts/ (see docs/model-steps.md).
 */
export const promptOverrideParams = {
  system: z.string().optional().describe('system prompt (Liquid template) replacing the shipped one'),
  prompt: z.string().optional().describe('user prompt (Liquid template) replacing the shipped one'),
  prompts: z.string().optional().describe('folder of prompt templates named like the shipped ones, relative to the pipeline file'),
};

/**
 * The variables each kind's prompt templates see (docs/model-steps.md). `system:` and `prompt:`
 * overrides are rendered by the step with these, not by the engine with the pipeline's scope,
 * so `{{ language }}` works as written and the validator checks names against this list.
 */
export const PROMPT_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  answer: ['question', 'passages', 'count', 'language', 'lang', 'sentinel', 'max_words'],
  summarize: ['stage', 'text', 'language', 'lang', 'style', 'max_words', 'part', 'parts', 'combined'],
  translate: ['from_language', 'to_language', 'from', 'to', 'count', 'glossary', 'items_json'],
};
/** The parameters of those kinds that are prompt templates, left for the step to render. */
export const PROMPT_TEMPLATE_PARAMS: readonly string[] = ['system', 'prompt'];

export const summarizeParams = z.strictObject({
  text: z
    .union([z.string(), z.array(hitSchema), z.array(z.string()), retrieveOutputSchema])
    .describe('text, hits, a list of texts, or a retrieve output'),
  max_words: z.int().min(1).max(5000).default(120).describe('target length in words'),
  style: z.enum(['bullets', 'paragraph', 'tldr']).default('paragraph'),
  lang: z.string().optional().describe('language of the summary; default the language of the text'),
  ...promptOverrideParams,
});

export const translateParams = z.strictObject({
  text: z.string().describe('text to translate'),
  to: z.string().min(1).describe("target language, e.g. 'zh' or 'en'"),
  from: z.string().optional().describe('source language; detected when missing'),
  glossary: z
    .union([z.record(z.string(), z.string()), z.array(z.string())])
    .optional()
    .describe('terms to translate a fixed way (map) or keep as they are (list)'),
  format: z.enum(['markdown', 'text']).default('markdown').describe('markdown keeps code and links untouched'),
  ...promptOverrideParams,
});

export const answerParams = z.strictObject({
  question: z.string().min(1),
  passages: z
    .union([z.array(hitSchema), retrieveOutputSchema, z.array(z.string())])
    .describe('hits, a retrieve output, or a list of texts to answer from'),
  lang: z.string().optional().describe('language of the answer; default the language of the question'),
  min_score: z.number().optional().describe('ignore passages scoring below this'),
  max_citations: z.int().min(1).optional(),
  ...promptOverrideParams,
});

export const chatMessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

export const promptParams = z
  .strictObject({
    template: z.string().optional().describe('the prompt text (Liquid template)'),
    messages: z.array(chatMessageSchema).min(1).optional(),
    schema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema the model output must match'),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.int().min(1).optional(),
    system: z.string().optional().describe('system message'),
  })
  .refine((p) => (p.template === undefined) !== (p.messages === undefined), {
    message: 'give exactly one of template or messages',
    // report it together with other problems of the same step, not only once they are fixed
    when: (payload) => payload.value !== null && typeof payload.value === 'object',
  });

export const pipelineParams = z.strictObject({
  use: z.string().min(1).describe('a recipe name or a path relative to this file'),
  inputs: z.record(z.string(), z.unknown()).optional().describe("the child pipeline's inputs"),
});

export type HitParam = z.infer<typeof hitSchema>;
export type RetrieveParams = z.infer<typeof retrieveParams>;
export type SummarizeParams = z.infer<typeof summarizeParams>;
export type TranslateParams = z.infer<typeof translateParams>;
export type AnswerParams = z.infer<typeof answerParams>;
export type PromptParams = z.infer<typeof promptParams>;
export type PipelineParams = z.infer<typeof pipelineParams>;

/** What the validator and planner need to know about a kind before (or without) its registration. */
export interface BuiltinStepInfo {
  description: string;
  params: z.ZodType;
  /** output fields; '*' means any field (the `pipeline` kind returns its child's outputs) */
  outputs: string[];
  callsModel: boolean;
}

/** Built-in kinds; a definition registered with defineStep under the same kind takes precedence. */
export const BUILTIN_STEPS: Readonly<Record<string, BuiltinStepInfo>> = {
  retrieve: { description: 'search the document store', params: retrieveParams, outputs: ['hits', 'text'], callsModel: false },
  summarize: {
    description: 'summarize text or hits (extractive without a model)',
    params: summarizeParams,
    outputs: ['summary', 'extractive', 'lang', 'note'],
    callsModel: true,
  },
  translate: { description: 'translate text with a model', params: translateParams, outputs: ['text', 'from', 'to'], callsModel: true },
  answer: {
    description: 'answer a question from passages, with citations',
    params: answerParams,
    outputs: ['answer', 'citations', 'grounded', 'extractive', 'lang'],
    callsModel: true,
  },
  prompt: { description: 'call a model with a template or messages', params: promptParams, outputs: ['text', 'json'], callsModel: true },
  pipeline: { description: 'run another pipeline as a step', params: pipelineParams, outputs: ['*'], callsModel: false },
};
