import { LineCounter, isAlias, parseDocument, visit, type Alias, type Document } from 'yaml';
import { LoomError, type Diagnostic, type ErrorCode } from '../errors.js';
import type { LoadedPipeline } from './types.js';
import { CheckContext, isPlainObject } from './context.js';
import { formatDiagnostics } from './diagnostics.js';
import { readSpecSource, type SpecSource } from './source.js';
import { checkForbiddenKeys, checkStructure } from './check-structure.js';
import { checkRefs } from './check-refs.js';
import { checkCycles, checkModelRefs } from './check-graph.js';
import { checkUses, type PipelineRefResolver } from './check-use.js';
import { checkTests } from './check-tests.js';
import { normalizePipeline } from './normalize.js';
import { yamlDiagnostics } from './yaml-errors.js';

export interface LoadOptions {
  /** file name for messages when pathOrText is YAML text */
  file?: string;
  /** folder that relative paths resolve from; default the file's folder, else the working directory */
  baseDir?: string;
  /** resolves `pipeline: {use: <recipe name>}` to a file, so includes can be followed */
  resolvePipelineRef?: PipelineRefResolver;
}

export interface ValidationResult {
  /** set when there are no errors (warnings may remain, also in pipeline.warnings) */
  pipeline?: LoadedPipeline;
  diagnostics: Diagnostic[];
  /** the text the positions refer to, for formatDiagnostics */
  source: string;
  /** the file name as given (for messages), when there is one */
  file?: string;
}

/** The alias count above which a file is refused as an alias bomb ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads, parses and checks a pipeline: every problem of the file in one pass, each with
 * its position. Never throws for the user's mistakes; they come back as diagnostics.
 * `pathOrText` is a path when it ends in .yaml/.yml, else YAML text.
 */
export async function validatePipeline(pathOrText: string, options: LoadOptions = {}): Promise<ValidationResult> {
  const src = readSpecSource(pathOrText, options);
  const result = (diagnostics: Diagnostic[], pipeline?: LoadedPipeline): ValidationResult => ({
    diagnostics: sortDiagnostics(diagnostics).map((d) => (src.name ? { ...d, file: src.name } : d)),
    source: src.text,
    file: src.name,
    ...(pipeline ? { pipeline } : {}),
  });
  if (src.fatal) return result([src.fatal]);

  const parsed = parseYamlSource(src);
  const ctx = parsed.ctx;
  if (!parsed.ok) return result(ctx.diagnostics);
  if (!isPlainObject(ctx.value)) {
    ctx.report('not-a-mapping', ctx.value == null ? 'the pipeline file is empty' : 'a pipeline must be a mapping of keys (version, name, steps, ...)', [], {
      hint: 'start from: version: 1 / name: my-pipeline / steps: [...] (see docs/pipelines.md)',
      range: ctx.rangeOf([]) ?? [0, 0],
    });
    return result(ctx.diagnostics);
  }
  await runChecks(ctx, src, options);
  if (ctx.hasErrors()) return result(ctx.diagnostics);
  const warnings = sortDiagnostics(ctx.diagnostics);
  const pipeline: LoadedPipeline = { spec: normalizePipeline(ctx.value), dir: src.dir, source: src.text, warnings };
  if (src.file) pipeline.file = src.file;
  return result(ctx.diagnostics, pipeline);
}

/**
 * Parses a YAML file's text for checking: syntax errors, alias bombs and self-containing values
 * become diagnostics (`ok: false` when the value cannot be checked further). Shared by every
 * YAML file promptloom reads (pipelines, sources files), so each reports the same way.
 */
export function parseYamlSource(src: SpecSource): { ctx: CheckContext; ok: boolean } {
  const lineCounter = new LineCounter();
  // logLevel 'error': the library would print process warnings (e.g. about collection keys) to stderr
  const doc = parseDocument(src.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, logLevel: 'error' });
  const yamlDiags = yamlDiagnostics(doc, lineCounter, src.text);
  const value = toPlain(doc);
  const ctx = new CheckContext(doc, lineCounter, value.ok ? value.value : null, src.name);
  ctx.diagnostics.push(...yamlDiags);
  if (!value.ok) {
    if (!reportUnresolvedAlias(ctx)) reportAliasBomb(ctx, value.recursive);
    return { ctx, ok: false };
  }
  return { ctx, ok: !yamlDiags.some((d) => d.severity === 'error' && d.code !== 'duplicate-key') };
}

async function runChecks(ctx: CheckContext, src: SpecSource, options: LoadOptions): Promise<void> {
  checkForbiddenKeys(ctx);
  const steps = checkStructure(ctx);
  const deps = checkRefs(ctx, steps);
  checkCycles(ctx, steps, deps);
  checkModelRefs(ctx, steps);
  checkTests(ctx);
  const name = (ctx.value as Record<string, unknown>).name;
  await checkUses(ctx, steps, { file: src.file, dir: src.dir, name: typeof name === 'string' ? name : undefined }, options.resolvePipelineRef);
}

/**
 * Loads a pipeline, or throws LoomError: SPEC_NOT_FOUND, SPEC_TOO_LARGE, or SPEC_INVALID
 * whose message is every diagnostic in compiler format (and `diagnostics` holds them as data).
 */
export async function loadPipeline(pathOrText: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  const result = await validatePipeline(pathOrText, options);
  if (result.pipeline) return result.pipeline;
  const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
  const first = errors[0];
  const code: ErrorCode = first?.code === 'file-not-found' ? 'SPEC_NOT_FOUND' : first?.code === 'too-large' ? 'SPEC_TOO_LARGE' : 'SPEC_INVALID';
  const text = formatDiagnostics(result.diagnostics, result.source, result.file);
  throw new LoomError(code, code === 'SPEC_INVALID' ? text : first.message, {
    diagnostics: result.diagnostics,
    file: result.file,
    hint: code === 'SPEC_INVALID' ? undefined : first.hint,
  });
}

function toPlain(doc: Document.Parsed): { ok: true; value: unknown } | { ok: false; recursive?: boolean } {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return { ok: false };
  }
  // `&a [*a]` gives a value that contains itself: endless to print, render or send
  return containsItself(value, new Set()) ? { ok: false, recursive: true } : { ok: true, value };
}

function containsItself(value: unknown, ancestors: Set<object>): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  const found = children.some((v) => containsItself(v, ancestors));
  ancestors.delete(value);
  return found;
}

/** `*name` with no `&name` before it; toJS throws for it, which is no alias bomb. */
function reportUnresolvedAlias(ctx: CheckContext): boolean {
  let found: Alias | undefined;
  visit(ctx.doc, {
    Alias(_, node) {
      if (!found && node.resolve(ctx.doc) === undefined) {
        found = node;
        return visit.BREAK;
      }
    },
  });
  if (!found) return false;
  ctx.report('yaml-syntax', `alias *${found.source} refers to no anchor &${found.source} defined before it`, [], {
    range: found.range ? [found.range[0], found.range[1]] : undefined,
    hint: `define the value once with &${found.source} before using *${found.source}, or write the value out`,
  });
  return true;
}

function reportAliasBomb(ctx: CheckContext, recursive = false): void {
  let range: [number, number] | undefined;
  visit(ctx.doc, {
    Alias(_, node) {
      if (isAlias(node) && node.range && !range) range = [node.range[0], node.range[1]];
    },
  });
  if (recursive) {
    ctx.report('alias-bomb', 'a YAML alias refers to a value that contains it: the file expands without end', [], {
      range,
      hint: 'an alias (*name) may only repeat a value defined before and outside it; write the value out',
    });
    return;
  }
  ctx.report('alias-bomb', 'too many YAML aliases: the file expands to a huge document (an "alias bomb")', [], {
    range,
    hint: `a pipeline may expand aliases to at most ${MAX_ALIAS_COUNT} times their size; write the values out`,
  });
}

export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => (a.range?.[0] ?? -1) - (b.range?.[0] ?? -1));
}
