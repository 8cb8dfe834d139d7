#!/usr/bin/env node
// Writes schema/pipeline.schema.json and schema/sources.schema.json from the zod schemas (build
// core first: tsc -b). `--check` exits 1 when a committed file is out of date instead of writing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pipelineJsonSchema } from '../dist/spec/json-schema.js';
import { sourcesJsonSchema } from '../dist/sources/json-schema.js';

let stale = false;
for (const [name, schema] of [['pipeline', pipelineJsonSchema()], ['sources', sourcesJsonSchema()]]) {
  const target = fileURLToPath(new URL(`../schema/${name}.schema.json`, import.meta.url));
  const text = JSON.stringify(schema, null, 2) + '\n';
  if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(target, 'utf8'); } catch { /* missing counts as stale */ }
    if (current !== text) {
      process.stderr.write(`${target} is out of date; run: node packages/core/scripts/gen-schema.mjs\n`);
      stale = true;
    }
  } else {
    writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
  }
}
if (stale) process.exit(1);
