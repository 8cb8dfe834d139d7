import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { CheckContext, isPlainObject } from './context.js';
import { isTemplate } from './template.js';
import { MAX_SPEC_BYTES, decodeUtf8 } from './source.js';
import type { StepInfo } from './check-structure.js';
import { defaultRecipeDirs } from '../locate/recipes.js';

/** Resolves a recipe name (not a path) to a pipeline file, or undefined when unknown. */
export type PipelineRefResolver = (ref: string, fromDir: string) => string | undefined | Promise<string | undefined>;

const MAX_DEPTH = 32;

/** `use:` naming a file (has a slash or a .yaml/.yml ending) rather than a recipe. */
export function isPathRef(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.ya?ml$/i.test(ref) || ref.startsWith('.');
}

export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

interface Resolved {
  file?: string;
  problem?: { code: string; message: string; hint: string };
}

/** Symlinks resolved, so a link inside the folder cannot point outside it (as the engine checks). */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

async function resolveRef(ref: string, fromDir: string, resolver?: PipelineRefResolver): Promise<Resolved> {
  if (isPathRef(ref)) {
    const file = resolve(fromDir, ref);
    if (!isInside(real(fromDir), real(file))) {
      return { problem: { code: 'path-escape', message: `use: "${ref}" points outside the pipeline's folder`, hint: "keep included pipelines in this pipeline's folder or below, or use a recipe name" } };
    }
    if (!existsSync(file)) {
      return { problem: { code: 'unknown-pipeline', message: `use: "${ref}": no such file (${file})`, hint: "paths are relative to this pipeline's folder" } };
    }
    return { file };
  }
  // as at run time: recipe folders first, then <name>.yaml beside the pipeline
  const file = (await resolver?.(ref, fromDir)) ?? beside(ref, fromDir);
  if (file === undefined) {
    if (!resolver) return {};
    return { problem: { code: 'unknown-pipeline', message: `use: "${ref}" is neither a recipe nor a file beside this pipeline`, hint: `see loom recipes list, or give a path such as ./${ref}.yaml` } };
  }
  return { file: resolve(fromDir, file) };
}

/**
 * `pipeline` steps: use: paths may not leave the folder, and no pipeline may include itself,
 * directly or through the files it includes (followed as far as they can be resolved).
 */
export async function checkUses(ctx: CheckContext, steps: StepInfo[], self: { file?: string; dir: string; name?: string }, given?: PipelineRefResolver): Promise<void> {
  // without a resolver, recipe names are looked up where the engine looks by default
  const resolver = given ?? defaultRecipeResolver();
  for (const step of steps) {
    if (step.kind !== 'pipeline' || !isPlainObject(step.raw.pipeline)) continue;
    const ref = step.raw.pipeline.use;
    if (typeof ref !== 'string' || ref === '' || isTemplate(ref)) continue;
    const path = ['steps', step.index, 'pipeline', 'use'];
    if (!isPathRef(ref) && ref === self.name) {
      ctx.report('self-include', `step "${step.id}" runs this same pipeline ("${ref}")`, path, { hint: 'a pipeline cannot include itself' });
      continue;
    }
    const { file, problem } = await resolveRef(ref, self.dir, resolver);
    if (problem) {
      ctx.report(problem.code, `step "${step.id}": ${problem.message}`, path, { hint: problem.hint });
      continue;
    }
    if (!file) continue;
    if (self.file && file === self.file) {
      ctx.report('self-include', `step "${step.id}" runs this same pipeline (${ref})`, path, { hint: 'a pipeline cannot include itself' });
      continue;
    }
    const chain = await findWayBack(file, self, resolver, [file], new Set());
    if (chain) {
      const names = [self.file ?? self.name ?? 'this pipeline', ...chain].map((f) => shortName(f, self.dir));
      ctx.report('include-cycle', `step "${step.id}": ${ref} includes this pipeline again (${names.join(' -> ')})`, path, {
        hint: 'pipelines that include each other would run forever; break the loop',
      });
    }
  }
}

/** A recipe name on the default recipe path (locate/recipes.ts), as RunOptions.recipeDirs defaults to. */
function defaultRecipeResolver(): PipelineRefResolver {
  const dirs = defaultRecipeDirs();
  return (ref) => {
    if (!/^[A-Za-z0-9_-]+$/.test(ref)) return undefined;
    for (const dir of dirs) {
      const file = ['.yaml', '.yml'].map((ext) => join(dir, ref + ext)).find((f) => existsSync(f));
      if (file) return file;
    }
    return undefined;
  };
}

function beside(ref: string, dir: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(ref)) return undefined;
  return ['.yaml', '.yml'].map((ext) => join(dir, ref + ext)).find((f) => existsSync(f));
}

function shortName(file: string, dir: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(dir, file);
  return rel.startsWith('..') ? file : rel;
}

/** The chain of files from `file` back to the pipeline being validated, if there is one. */
async function findWayBack(file: string, self: { file?: string; name?: string }, resolver: PipelineRefResolver | undefined, chain: string[], seen: Set<string>): Promise<string[] | undefined> {
  if (seen.has(file) || chain.length > MAX_DEPTH) return undefined;
  seen.add(file);
  const child = readChild(file);
  if (!child) return undefined;
  for (const ref of child.uses) {
    if (!isPathRef(ref) && self.name !== undefined && ref === self.name) return [...chain, self.file ?? ref];
    const { file: next } = await resolveRef(ref, dirname(file), resolver).catch(() => ({ file: undefined }));
    if (!next) continue;
    if (self.file && next === self.file) return [...chain, next];
    const found = await findWayBack(next, self, resolver, [...chain, next], seen);
    if (found) return found;
  }
  return undefined;
}

/** The use: values of another pipeline file; undefined when it cannot be read (its own validation says why). */
function readChild(file: string): { uses: string[] } | undefined {
  try {
    if (statSync(file).size > MAX_SPEC_BYTES) return undefined;
    const text = decodeUtf8(readFileSync(file));
    if (typeof text !== 'string') return undefined;
    const value: unknown = parseDocument(text, { logLevel: 'error' }).toJS({ maxAliasCount: 100 });
    if (!isPlainObject(value) || !Array.isArray(value.steps)) return undefined;
    const uses: string[] = [];
    for (const step of value.steps) {
      if (isPlainObject(step) && isPlainObject(step.pipeline) && typeof step.pipeline.use === 'string' && !isTemplate(step.pipeline.use)) {
        uses.push(step.pipeline.use);
      }
    }
    return { uses };
  } catch {
    return undefined;
  }
}
