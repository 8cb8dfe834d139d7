import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LoomError, type Diagnostic } from '../errors.js';
import { isPlainObject, type CheckContext } from '../spec/context.js';
import { didYouMean, formatDiagnostics } from '../spec/diagnostics.js';
import { parseYamlSource, sortDiagnostics } from '../spec/load.js';
import { readSpecSource } from '../spec/source.js';
import { checkWithSchema } from '../spec/zod-issues.js';
import { kindOf, SOURCE_KINDS, SOURCE_SCHEMAS, sourcesTopSchema, type SourceSpec, type SourcesFile } from './schema.js';

/** The file `loom sync` reads when no --sources is given. */
export const DEFAULT_SOURCES_FILE = 'loom.sources.yaml';

/**
 * Reads and checks a sources file with the pipeline loader's machinery: every problem at once,
 * each with file:line:col and a did-you-mean. Throws LoomError CONFIG_INVALID (or SPEC_NOT_FOUND
 * for a missing file) whose message is the diagnostics in compiler format.
 */
export function loadSources(file: string, cwd = process.cwd()): SourcesFile {
  const abs = resolve(cwd, file);
  if (!existsSync(abs)) {
    throw new LoomError('SPEC_NOT_FOUND', `no sources file ${file}`, {
      file,
      hint: `create ${DEFAULT_SOURCES_FILE} (see docs/sources.md), or pass --sources FILE`,
    });
  }
  const src = readSpecSource(abs, { baseDir: cwd });
  src.name = file;
  const diagnostics: Diagnostic[] = [];
  let sources: SourceSpec[] = [];
  let top: Record<string, unknown> = {};
  if (src.fatal) diagnostics.push(src.fatal);
  else {
    const { ctx, ok } = parseYamlSource(src);
    if (ok) sources = checkFile(ctx);
    diagnostics.push(...ctx.diagnostics);
    if (isPlainObject(ctx.value)) top = ctx.value;
  }
  const errors = diagnostics.filter((d) => d.severity !== 'warning');
  if (errors.length > 0) {
    const sorted = sortDiagnostics(diagnostics).map((d) => ({ ...d, file }));
    throw new LoomError('SPEC_INVALID', formatDiagnostics(sorted, src.text, file), { file, diagnostics: sorted });
  }
  return { version: 1, store: typeof top.store === 'string' ? top.store : undefined, sources, file: abs, dir: src.dir };
}

function checkFile(ctx: CheckContext): SourceSpec[] {
  if (!isPlainObject(ctx.value)) {
    ctx.report('not-a-mapping', 'a sources file is a mapping: version: 1, sources: [...]', [], { range: ctx.rangeOf([]) ?? [0, 0], hint: 'see docs/sources.md for an example' });
    return [];
  }
  checkWithSchema(ctx, sourcesTopSchema, ctx.value, [], 'sources file');
  const list = ctx.value.sources;
  if (!Array.isArray(list)) return [];
  const out: SourceSpec[] = [];
  const names = new Map<string, number>();
  list.forEach((item, i) => {
    const name = isPlainObject(item) ? item.name : undefined;
    if (typeof name === 'string' && names.has(name)) {
      ctx.report('duplicate-id', `source name "${name}" is used twice (also source ${names.get(name)! + 1})`, ['sources', i, 'name'], { hint: 'each source needs its own name: the store keys its documents by it' });
    } else if (typeof name === 'string') names.set(name, i);
    const source = checkSource(ctx, item, i);
    if (source) out.push(source);
  });
  return out;
}

function checkSource(ctx: CheckContext, item: unknown, i: number): SourceSpec | undefined {
  const at = ['sources', i];
  if (!isPlainObject(item)) return undefined; // the top-level schema reported it
  const kinds = kindOf(item);
  if (kinds.length === 0) {
    const guess = Object.keys(item).map((k) => didYouMean(k, SOURCE_KINDS)).find(Boolean);
    ctx.report('missing-kind', `source ${i + 1} has no kind: it needs one of ${SOURCE_KINDS.join(', ')}`, at, { hint: guess ?? 'e.g. sitemap: https://docs.example.org/sitemap.xml' });
    return undefined;
  }
  if (kinds.length > 1) {
    ctx.report('multiple-kinds', `source ${i + 1} has several kinds (${kinds.join(', ')}); split it into one source per kind`, [...at, kinds[1]], { at: 'key' });
    return undefined;
  }
  const kind = kinds[0];
  const schema = SOURCE_SCHEMAS[kind];
  const before = ctx.diagnostics.length;
  checkWithSchema(ctx, schema, item, at, `${kind} source`);
  if (ctx.diagnostics.length > before) return undefined;
  return { ...(schema.parse(item) as object), kind } as SourceSpec;
}
