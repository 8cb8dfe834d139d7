import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { LoomError } from '@promptloom/core/spec';
import type { InputSpec } from '@promptloom/core/spec';
import type { RecipeInfo } from '@promptloom/recipes';
import { type Io, writeJson } from '../io.js';
import { addRunOptions, run, type RunFlags } from './run.js';
import type { RegisterCommand } from './types.js';

async function recipesModule() {
  return import('@promptloom/recipes');
}

async function searchPath(io: Io) {
  const recipes = await recipesModule();
  return recipes.recipeSearchPath({ cwd: io.cwd, env: io.env });
}

/** A file path as a person reads it: relative when it is under the working directory. */
function shown(file: string, io: Io): string {
  const rel = relative(io.cwd, file);
  return rel.startsWith('..') ? file : rel;
}

/** Pads by display width, so Chinese descriptions line up too. */
function width(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

export function formatTable(rows: string[][], io: Io): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => width(r[c] ?? ''))));
  const max = io.stdout.columns && io.stdout.columns > 40 ? io.stdout.columns : Infinity;
  return rows.map((r) => {
    const line = r.map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c] - width(cell)))).join('  ').trimEnd();
    return width(line) > max ? `${[...line].slice(0, max - 1).join('')}…` : line;
  }).join('\n') + '\n';
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The recipe a typo most likely meant: close to the whole name or to its start ("sumarize" -> summarize-article). */
function suggest(name: string, names: string[]): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of names) {
    const prefixes = [-1, 0, 1].map((k) => distance(name, n.slice(0, name.length + k)));
    const d = Math.min(distance(name, n), ...prefixes);
    if (!best || d < best.d) best = { n, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.n : undefined;
}

async function notFound(name: string, io: Io): Promise<LoomError> {
  const { listRecipes } = await recipesModule();
  const dirs = await searchPath(io);
  const names = listRecipes(dirs).map((r) => r.name);
  const guess = suggest(name, names);
  return new LoomError('SPEC_NOT_FOUND', `no recipe named "${name}"`, {
    hint: `${guess ? `did you mean ${guess}? ` : ''}recipes: ${names.join(', ')} (looked in ${dirs.map((d) => shown(d.dir, io)).join(', ')})`,
  });
}

async function find(name: string, io: Io): Promise<RecipeInfo> {
  const { findRecipe } = await recipesModule();
  const recipe = findRecipe(name, await searchPath(io));
  if (!recipe) throw await notFound(name, io);
  return recipe;
}

async function list(flags: { json?: boolean }, io: Io): Promise<void> {
  const { listRecipes } = await recipesModule();
  const recipes = listRecipes(await searchPath(io));
  if (flags.json) return writeJson(io, recipes);
  const rows = [['NAME', 'DESCRIPTION'], ...recipes.map((r) => [r.name, r.description + (r.where === 'package' ? '' : `  (${r.where}: ${shown(r.file, io)})`)])];
  io.stdout.write(formatTable(rows, io));
  io.stdout.write('\nloom recipes show NAME   inputs and YAML of a recipe\nloom recipes run NAME --input name=value ...\n');
}

function inputRows(inputs: Record<string, InputSpec>): string[][] {
  const rows = [['INPUT', 'TYPE', 'REQUIRED', 'DEFAULT', 'DESCRIPTION']];
  for (const [name, spec] of Object.entries(inputs)) {
    const def = spec.default === undefined ? '' : JSON.stringify(spec.default);
    rows.push([name, spec.type, spec.required ? 'yes' : '', def, spec.description ?? '']);
  }
  return rows;
}

async function show(name: string, io: Io, json = false): Promise<void> {
  const recipe = await find(name, io);
  const core = await import('@promptloom/core/spec');
  if (json) {
    const pipeline = await core.loadPipeline(recipe.file);
    writeJson(io, {
      name: recipe.name, file: recipe.file, where: recipe.where, description: pipeline.spec.description ?? recipe.description,
      inputs: pipeline.spec.inputs, outputs: Object.keys(pipeline.spec.outputs), tests: pipeline.spec.tests.length,
      yaml: readFileSync(recipe.file, 'utf8'),
    });
    return;
  }
  io.stdout.write(`# ${shown(recipe.file, io)} (${recipe.where})\n`);
  io.stdout.write(readFileSync(recipe.file, 'utf8').replace(/\n*$/, '\n'));
  const pipeline = await core.loadPipeline(recipe.file);
  const inputs = pipeline.spec.inputs;
  io.stdout.write('\n');
  if (Object.keys(inputs).length === 0) io.stdout.write('(no inputs)\n');
  else io.stdout.write(formatTable(inputRows(inputs), io));
  const outputs = Object.keys(pipeline.spec.outputs);
  io.stdout.write(`\noutputs: ${outputs.join(', ') || '(none)'}\ntests: ${pipeline.spec.tests.length} (loom test ${shown(recipe.file, io)})\n`);
}

async function runRecipe(name: string, flags: RunFlags, io: Io): Promise<void> {
  const recipe = await find(name, io);
  await run(recipe.file, flags, io);
}

export const register: RegisterCommand = (program, io) => {
  const recipes = program
    .command('recipes')
    .description('shared workflows: list them, read them, run them')
    .addHelpText('after', `
Recipes are looked up in ./recipes/, then $LOOM_RECIPES_DIR (default ~/.config/promptloom/recipes),
then the ones shipped with promptloom; the first file named NAME.yaml wins. A pipeline step
\`pipeline: { use: NAME }\` runs a recipe the same way.

Examples:
  loom recipes list
  loom recipes show summarize-article
  loom recipes run summarize-article --input text=@article.md --input style=bullets
  loom recipes run translate-doc --input text=@README.md --input to=zh --model openai:gpt-4o-mini --out README.zh.md`);

  recipes
    .command('list', { isDefault: true })
    .description('list the recipes: name and what each does')
    .option('--json', 'print [{name, description, file, where}] as JSON')
    .action((flags: { json?: boolean }) => list(flags, io));

  recipes
    .command('show')
    .description("print a recipe's YAML and a table of its inputs")
    .argument('<name>', 'recipe name')
    .option('--json', 'print {name, file, where, description, inputs, outputs, tests, yaml} as JSON')
    .action((name: string, flags: { json?: boolean }) => show(name, io, flags.json));

  const runCommand = recipes
    .command('run')
    .description('run a recipe (same options as loom run)')
    .argument('<name>', 'recipe name');
  addRunOptions(runCommand).action((name: string, flags: RunFlags) => runRecipe(name, flags, io));
};
