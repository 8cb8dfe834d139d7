import { z } from 'zod';
import { BUILTIN_STEPS } from '../steps/params.js';
import { pipelineTopSchema, stepCommonSchema } from './schema.js';

type Json = Record<string, unknown>;

const TEMPLATE_DEF = {
  type: 'string',
  pattern: '\\{\\{|\\{%',
  description: 'a template, e.g. "{{ steps.hits.hits }}": the value is known after rendering',
};

/**
 * The JSON Schema of pipeline files, generated from the same zod schemas the validator
 * uses (packages/core/schema/pipeline.schema.json is this, written by scripts/gen-schema.mjs).
 * Editors use it through `# yaml-language-server: $schema=...`. Parameters of the built-in
 * kinds accept a template string wherever a value of another type is expected.
 */
export function pipelineJsonSchema(): Json {
  const top = toJson(pipelineTopSchema);
  const common = toJson(stepCommonSchema);
  const stepProps: Json = { ...(common.properties as Json) };
  for (const [kind, info] of Object.entries(BUILTIN_STEPS)) {
    stepProps[kind] = { ...templatable(toJson(info.params)), description: info.description };
  }
  const step: Json = {
    type: 'object',
    description: 'a step: id, common fields, and exactly one step-kind key holding its parameters',
    properties: stepProps,
    required: ['id'],
    minProperties: 2,
    // kinds registered with defineStep are not known here; their parameters are mappings
    additionalProperties: { type: 'object' },
  };
  const properties = top.properties as Json;
  properties.steps = { ...(properties.steps as Json), items: step };
  const { $schema, ...rest } = top;
  return {
    $schema,
    title: 'promptloom pipeline',
    description: 'A promptloom pipeline: inputs, models, steps run as a DAG, outputs and tests. See docs/pipelines.md.',
    ...rest,
    $defs: { ...((rest.$defs as Json | undefined) ?? {}), template: TEMPLATE_DEF },
  };
}

function toJson(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
}

/** Top-level parameters that are not plain strings also accept a template string. */
function templatable(params: Json): Json {
  const { $schema: _ignored, ...schema } = params;
  const props = schema.properties as Record<string, Json> | undefined;
  if (!props) return schema;
  const out: Record<string, Json> = {};
  for (const [name, prop] of Object.entries(props)) {
    if (prop.type === 'string') {
      out[name] = prop;
      continue;
    }
    const { description, ...rest } = prop;
    out[name] = { ...(description ? { description } : {}), anyOf: [rest, { $ref: '#/$defs/template' }] };
  }
  return { ...schema, properties: out };
}
