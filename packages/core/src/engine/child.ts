import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LoomError } from '../errors.js';
import { isInside, isPathRef } from '../spec/check-use.js';
import { loadPipeline } from '../spec/load.js';
import type { LoadedPipeline } from '../spec/types.js';
import type { RunOptions } from './types.js';
import { defaultRecipeDirs } from '../locate/recipes.js';

/** Deepest nesting of `pipeline` steps; deeper means runaway recursion (a includes b includes a …). */
export const MAX_PIPELINE_DEPTH = 8;

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The file a `pipeline: {use: ref}` step runs. A path resolves from the parent pipeline's
 * folder and must stay inside it or inside a recipe folder (a pipeline from elsewhere must not
 * reach arbitrary files); a bare name is a recipe looked up as `<name>.yaml` in the recipe
 * folders, then beside the parent.
 */
export function resolvePipelineRef(ref: string, parent: LoadedPipeline, recipeDirs: readonly string[] = []): string {
  const roots = [parent.dir, ...recipeDirs].map((d) => real(resolve(d)));
  if (isPathRef(ref)) {
    const file = resolve(parent.dir, ref);
    if (!roots.some((root) => isInside(root, real(file)))) {
      throw new LoomError('SPEC_INVALID', `pipeline "${ref}" is outside the folder of ${parent.file ?? 'the parent pipeline'}`, {
        file: parent.file,
        hint: 'keep included pipelines beside the parent (or below it), or use a recipe by name',
      });
    }
    if (!existsSync(file)) {
      throw new LoomError('SPEC_NOT_FOUND', `pipeline file not found: ${file}`, { file: parent.file });
    }
    return file;
  }
  const searched = [...recipeDirs.map((d) => resolve(d)), parent.dir];
  for (const dir of searched) {
    for (const ext of ['.yaml', '.yml']) {
      const file = join(dir, ref + ext);
      if (existsSync(file)) return file;
    }
  }
  throw new LoomError('SPEC_NOT_FOUND', `no recipe or pipeline named "${ref}"`, {
    file: parent.file,
    hint: `looked for ${ref}.yaml in ${searched.join(', ')}; \`loom recipes list\` shows the recipes`,
  });
}

/** Throws when running `file` would nest pipelines deeper than MAX_PIPELINE_DEPTH. */
export function checkDepth(chain: readonly string[], file: string): void {
  if (chain.length < MAX_PIPELINE_DEPTH) return;
  const names = [...chain, file].map((f) => f.split(/[\\/]/).pop());
  throw new LoomError('RUN_STEP_FAILED', `pipelines nested more than ${MAX_PIPELINE_DEPTH} deep: ${names.join(' → ')}`, {
    hint: 'a pipeline step includes itself, directly or through others; add a `when:` that ends the recursion or remove the loop',
    retryable: false,
  });
}

/** Finds a recipe by name (for `use: <name>` inside the child, checked when it loads). */
export function recipeResolver(recipeDirs: readonly string[] = []) {
  return (ref: string): string | undefined => {
    for (const dir of recipeDirs) {
      for (const ext of ['.yaml', '.yml']) {
        const file = join(resolve(dir), ref + ext);
        if (existsSync(file)) return file;
      }
    }
    return undefined;
  };
}

/** RunOptions.recipeDirs, else the recipe path the CLI uses (./recipes, the user folder, the shipped recipes). */
export function recipeDirsOf(options: RunOptions): string[] {
  return options.recipeDirs ?? defaultRecipeDirs({ env: options.env });
}

export async function loadChild(file: string, options: RunOptions): Promise<LoadedPipeline> {
  if (options.loadPipeline) return options.loadPipeline(file);
  return loadPipeline(file, { resolvePipelineRef: recipeResolver(recipeDirsOf(options)) });
}
