import { resolve } from 'node:path';
import type { InputSpec, LoadedPipeline } from '@promptloom/core';
import type { RecipeDir } from '@promptloom/recipes';

/** Input names that take a chat question, in order of preference. */
const QUESTION_INPUTS = ['question', 'topic', 'query'];

export interface CatalogEntry {
  name: string;
  description: string;
  file: string;
  where: string;
  pipeline: LoadedPipeline;
  inputs: Record<string, InputSpec>;
  /** the input a chat message fills, when the pipeline answers a question (it is then a chat model) */
  questionInput?: string;
}

/**
 * The pipelines the server runs: project pipelines (--pipelines DIR) first, then the recipe lookup
 * (./recipes, the user folder, the shipped recipes). Loaded and checked once at start; a broken
 * file is reported and left out instead of stopping the server.
 */
export class Catalog {
  private constructor(readonly entries: Map<string, CatalogEntry>, readonly dirs: string[]) {}

  static async load(options: { pipelinesDir?: string; cwd: string; env: Record<string, string | undefined>; log: (line: string) => void }): Promise<Catalog> {
    const core = await import('@promptloom/core');
    const recipes = await import('@promptloom/recipes');
    const search: RecipeDir[] = recipes.recipeSearchPath({ cwd: options.cwd, env: options.env });
    const dirs: RecipeDir[] = options.pipelinesDir ? [{ dir: resolve(options.cwd, options.pipelinesDir), where: 'project' }, ...search] : search;
    const resolver = recipes.recipeRefResolver(dirs);
    const entries = new Map<string, CatalogEntry>();
    for (const info of recipes.listRecipes(dirs)) {
      try {
        const pipeline = await core.loadPipeline(info.file, { resolvePipelineRef: resolver });
        const inputs = pipeline.spec.inputs;
        entries.set(info.name, { name: info.name, description: info.description, file: info.file, where: info.where, pipeline, inputs, questionInput: questionInputOf(inputs) });
      } catch (error) {
        options.log(`warning: pipeline ${info.file} left out: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    return new Catalog(entries, dirs.map((d) => d.dir));
  }

  get(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  /** The pipelines that answer a question: the models of /v1/models. */
  chatModels(): CatalogEntry[] {
    return this.list().filter((e) => e.questionInput !== undefined);
  }
}

/** The one string input a question goes into, when every other input can be left out. */
function questionInputOf(inputs: Record<string, InputSpec>): string | undefined {
  const name = QUESTION_INPUTS.find((n) => inputs[n]?.type === 'string');
  if (!name) return undefined;
  const othersOptional = Object.entries(inputs).every(([k, v]) => k === name || !v.required || (v.default !== undefined && v.default !== null));
  return othersOptional ? name : undefined;
}
