import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/*
 * Where recipes are looked up, for the CLI and the library alike: `./recipes/` of the working
 * folder, then the user's folder ($LOOM_RECIPES_DIR, else ~/.config/promptloom/recipes), then the
 * recipes shipped in @promptloom/recipes. The first folder holding a name wins.
 *
 * @promptloom/recipes depends on core, so core never imports it: the shipped folder is found by
 * resolving the package from core's own location, then from the working folder (a project that
 * installed both). Without it, the shipped recipes are simply not on the path.
 */

export type RecipeWhere = 'project' | 'user' | 'package' | 'other';

export interface RecipeDir {
  dir: string;
  where: RecipeWhere;
}

export interface RecipePathOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** the shipped recipe folder, when the caller knows it (@promptloom/recipes passes its own) */
  shipped?: string;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The user's own recipe folder: $LOOM_RECIPES_DIR, else ~/.config/promptloom/recipes (XDG_CONFIG_HOME honoured). */
export function userRecipesDir(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  if (env.LOOM_RECIPES_DIR) return resolve(cwd, env.LOOM_RECIPES_DIR);
  const config = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(env.HOME || homedir(), '.config');
  return join(config, 'promptloom', 'recipes');
}

const shippedCache = new Map<string, string | undefined>();

/** The `recipes/` folder of an installed @promptloom/recipes, or undefined. */
export function shippedRecipesDir(cwd = process.cwd()): string | undefined {
  if (shippedCache.has(cwd)) return shippedCache.get(cwd);
  let found: string | undefined;
  for (const from of [import.meta.url, join(cwd, 'package.json')]) {
    try {
      const manifest = createRequire(from).resolve('@promptloom/recipes/package.json');
      const dir = join(dirname(manifest), 'recipes');
      if (isDir(dir)) {
        found = dir;
        break;
      }
    } catch {
      // not installed where this looks
    }
  }
  shippedCache.set(cwd, found);
  return found;
}

/** The recipe folders that exist, in lookup order (see above). */
export function recipeSearchPath(options: RecipePathOptions = {}): RecipeDir[] {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const shipped = options.shipped ?? shippedRecipesDir(cwd);
  const candidates: RecipeDir[] = [
    { dir: resolve(cwd, 'recipes'), where: 'project' },
    { dir: userRecipesDir(env, cwd), where: 'user' },
    ...(shipped ? [{ dir: resolve(shipped), where: 'package' as const }] : []),
  ];
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (seen.has(c.dir) || !isDir(c.dir)) return false;
    seen.add(c.dir);
    return true;
  });
}

/** The folders of recipeSearchPath, as RunOptions.recipeDirs takes them. */
export function defaultRecipeDirs(options: RecipePathOptions = {}): string[] {
  return recipeSearchPath(options).map((d) => d.dir);
}
