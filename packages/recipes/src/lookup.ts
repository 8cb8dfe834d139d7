import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { recipeSearchPath as coreSearchPath, type RecipeDir, type RecipeWhere } from '@promptloom/core/spec';
import { fileURLToPath } from 'node:url';

/** Folder holding the shipped recipe YAML files. */
export const RECIPES_DIR: string = join(dirname(fileURLToPath(import.meta.url)), '..', 'recipes');

export type { RecipeDir, RecipeWhere } from '@promptloom/core/spec';
export { userRecipesDir } from '@promptloom/core/spec';

export interface RecipeInfo {
  /** the file name without .yaml: what `pipeline: {use: NAME}` and `loom recipes run NAME` take */
  name: string;
  /** the file's `description:` (one line), or its header comment's first line */
  description: string;
  file: string;
  where: RecipeWhere;
  /** a recipe of the same name later in the lookup order that this one hides */
  shadows?: string;
}

export interface LookupOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
}

const EXTENSIONS = ['.yaml', '.yml'];

/**
 * The recipe folders that exist, in lookup order: `./recipes/` of the working directory, then
 * the user folder, then the recipes shipped with this package (core decides the order; the
 * library uses the same path when it is given none).
 */
export function recipeSearchPath(options: LookupOptions = {}): RecipeDir[] {
  return coreSearchPath({ ...options, shipped: RECIPES_DIR });
}

/** The folders of recipeSearchPath, as RunOptions.recipeDirs wants them. */
export function recipeDirs(options: LookupOptions = {}): string[] {
  return recipeSearchPath(options).map((d) => d.dir);
}

function toRecipeDir(entry: string | RecipeDir): RecipeDir {
  if (typeof entry !== 'string') return entry;
  return { dir: resolve(entry), where: resolve(entry) === resolve(RECIPES_DIR) ? 'package' : 'other' };
}

/** `name` as a recipe file in one folder, or undefined. */
function fileIn(dir: string, name: string): string | undefined {
  for (const ext of EXTENSIONS) {
    const file = join(dir, name + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** A recipe by name: the first folder in `dirs` that has `<name>.yaml` (or .yml). */
export function findRecipe(name: string, dirs: readonly (string | RecipeDir)[]): RecipeInfo | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) return undefined;
  for (const entry of dirs.map(toRecipeDir)) {
    const file = fileIn(entry.dir, name);
    if (file) return { name, description: describeFile(file), file, where: entry.where };
  }
  return undefined;
}

/** Every recipe in `dirs`, sorted by name; a name found in several folders is listed once, from the first. */
export function listRecipes(dirs: readonly (string | RecipeDir)[]): RecipeInfo[] {
  const byName = new Map<string, RecipeInfo>();
  for (const entry of dirs.map(toRecipeDir)) {
    let files: string[];
    try {
      files = readdirSync(entry.dir).filter((f) => EXTENSIONS.some((e) => f.endsWith(e))).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const name = basename(f).replace(/\.ya?ml$/, '');
      const file = join(entry.dir, f);
      const first = byName.get(name);
      if (first) {
        first.shadows ??= file;
        continue;
      }
      byName.set(name, { name, description: describeFile(file), file, where: entry.where });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The resolver the spec loader and `loom validate` take (LoadOptions.resolvePipelineRef), so
 * `pipeline: {use: ask}` is followed for cycle checks. Same order as the engine at run time:
 * the recipe folders, then the including pipeline's own folder.
 */
export function recipeRefResolver(dirs: readonly (string | RecipeDir)[]): (ref: string, fromDir: string) => string | undefined {
  return (ref, fromDir) => findRecipe(ref, dirs)?.file ?? (/^[A-Za-z0-9_-]+$/.test(ref) ? fileIn(fromDir, ref) : undefined);
}

/** One line describing a recipe file, read without parsing the whole pipeline (listing stays fast and survives broken files). */
export function describeFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '(unreadable)';
  }
  const line = /^description:[ \t]*(.+)$/m.exec(text)?.[1].trim();
  if (line) return unquote(line);
  const comment = /^#(?! yaml-language-server)[ \t]*(\S.*)$/m.exec(text)?.[1];
  return comment?.trim() ?? '';
}

function unquote(value: string): string {
  if (value.startsWith('"')) {
    try {
      return JSON.parse(value.replace(/\s+#.*$/, '')) as string;
    } catch {
      return value.slice(1, value.lastIndexOf('"') > 0 ? value.lastIndexOf('"') : undefined);
    }
  }
  if (value.startsWith("'")) return value.slice(1, value.lastIndexOf("'") > 0 ? value.lastIndexOf("'") : undefined).replace(/''/g, "'");
  return value.replace(/\s+#.*$/, '');
}
