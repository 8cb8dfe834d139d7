import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validatePipeline } from '@promptloom/core';
import { RECIPES_DIR, describeFile, findRecipe, listRecipes, recipeDirs, recipeRefResolver, recipeSearchPath, userRecipesDir } from './index.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'loom-recipes-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function recipe(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}

const simple = (name: string, description: string) =>
  `# ${name}: a test recipe\nversion: 1\nname: ${name}\ndescription: ${description}\nsteps:\n  - id: s\n    summarize: { text: hello }\n`;

describe('recipe lookup', () => {
  it('searches ./recipes, then the user folder, then the package, and skips folders that do not exist', () => {
    const project = join(work, 'proj');
    const user = join(work, 'user-recipes');
    mkdirSync(join(project, 'recipes'), { recursive: true });
    mkdirSync(user);
    expect(recipeSearchPath({ cwd: project, env: { LOOM_RECIPES_DIR: user } })).toEqual([
      { dir: join(project, 'recipes'), where: 'project' },
      { dir: user, where: 'user' },
      { dir: RECIPES_DIR, where: 'package' },
    ]);
    expect(recipeDirs({ cwd: work, env: { HOME: work } })).toEqual([RECIPES_DIR]);
  });

  it('defaults the user folder to ~/.config/promptloom/recipes, honouring XDG_CONFIG_HOME', () => {
    expect(userRecipesDir({ HOME: '/home/ada' })).toBe('/home/ada/.config/promptloom/recipes');
    expect(userRecipesDir({ HOME: '/home/ada', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/promptloom/recipes');
    expect(userRecipesDir({ LOOM_RECIPES_DIR: 'mine' }, '/work')).toBe('/work/mine');
  });

  it('finds the first recipe of a name and lists each name once, noting what it shadows', () => {
    const project = join(work, 'recipes');
    const user = join(work, 'user');
    const mine = recipe(project, 'ask', simple('ask', 'my own ask'));
    const digest = recipe(user, 'digest-weekly', simple('digest-weekly', '"Weekly digest: the forum, summarised" # a comment'));
    const dirs = recipeSearchPath({ cwd: work, env: { LOOM_RECIPES_DIR: user } });
    expect(findRecipe('ask', dirs)).toMatchObject({ name: 'ask', file: mine, where: 'project', description: 'my own ask' });
    expect(findRecipe('digest-weekly', dirs)).toMatchObject({ file: digest, where: 'user', description: 'Weekly digest: the forum, summarised' });
    expect(findRecipe('summarize-article', dirs)?.where).toBe('package');
    expect(findRecipe('nope', dirs)).toBeUndefined();
    expect(findRecipe('../etc/passwd', dirs)).toBeUndefined();

    const list = listRecipes(dirs);
    const names = list.map((r) => r.name);
    expect(names).toEqual([...names].sort());
    expect(names.filter((n) => n === 'ask')).toHaveLength(1);
    const ask = list.find((r) => r.name === 'ask')!;
    expect(ask).toMatchObject({ where: 'project', file: mine, shadows: join(RECIPES_DIR, 'ask.yaml') });
  });

  it('describes a file by its description, else its first comment line, and survives broken YAML', () => {
    const a = recipe(work, 'a', "version: 1\ndescription: 'it''s quoted'\n");
    const b = recipe(work, 'b', '# yaml-language-server: $schema=x.json\n# Summarize things\nversion: [1\n');
    const c = recipe(work, 'c', 'description: 中文描述：总结文章\n');
    expect(describeFile(a)).toBe("it's quoted");
    expect(describeFile(b)).toBe('Summarize things');
    expect(describeFile(c)).toBe('中文描述：总结文章');
    expect(describeFile(join(work, 'missing.yaml'))).toBe('(unreadable)');
  });
});

describe('recipes composing through pipeline steps', () => {
  it('resolves use: NAME for the validator, and refuses two recipes that use each other', async () => {
    const dir = join(work, 'recipes');
    const uses = (name: string, other: string) =>
      `version: 1\nname: ${name}\nsteps:\n  - id: child\n    pipeline: { use: ${other} }\n`;
    const ping = recipe(dir, 'ping', uses('ping', 'pong'));
    recipe(dir, 'pong', uses('pong', 'ping'));
    const resolver = recipeRefResolver(recipeSearchPath({ cwd: work, env: { HOME: work } }));
    const r = await validatePipeline(ping, { resolvePipelineRef: resolver });
    expect(r.pipeline).toBeUndefined();
    const cycle = r.diagnostics.find((d) => d.code === 'include-cycle');
    expect(cycle?.message).toContain('pong');
    expect(cycle?.line).toBe(5);
  });

  it('accepts a pipeline that uses a shipped recipe by name, and names an unknown one', async () => {
    const resolver = recipeRefResolver([RECIPES_DIR]);
    const text = (use: string) => `version: 1\nname: outer\nsteps:\n  - id: child\n    pipeline: { use: ${use}, inputs: { question: hi } }\n`;
    expect((await validatePipeline(text('ask'), { file: 'outer.yaml', baseDir: work, resolvePipelineRef: resolver })).diagnostics).toEqual([]);
    const bad = await validatePipeline(text('aks'), { file: 'outer.yaml', baseDir: work, resolvePipelineRef: resolver });
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['unknown-pipeline']);
  });
});
