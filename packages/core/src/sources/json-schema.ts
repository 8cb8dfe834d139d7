import { z } from 'zod';
import { SOURCE_SCHEMAS, sourcesTopSchema } from './schema.js';

type Json = Record<string, unknown>;

/**
 * The JSON Schema of sources files (packages/core/schema/sources.schema.json, written by
 * scripts/gen-schema.mjs), from the zod schemas the loader checks with: each source is exactly
 * one of the kinds.
 */
export function sourcesJsonSchema(): Json {
  const toJson = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  const { $schema, ...top } = toJson(sourcesTopSchema);
  const kinds = Object.entries(SOURCE_SCHEMAS).map(([kind, schema]) => {
    const { $schema: _drop, ...rest } = toJson(schema);
    return { title: `${kind} source`, ...rest };
  });
  const properties = top.properties as Json;
  properties.sources = { ...(properties.sources as Json), items: { oneOf: kinds } };
  return {
    $schema,
    title: 'promptloom sources',
    description: 'Sources `loom sync` keeps a store in step with: folders, sitemaps, Discourse forums, GitHub, git repositories. See docs/sources.md.',
    ...top,
  };
}
