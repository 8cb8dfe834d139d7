import { formatDiagnostics, validatePipeline } from '@promptloom/core/spec';
import type { Diagnostic, PipelineRefResolver } from '@promptloom/core/spec';
import { recipeRefResolver, recipeSearchPath } from '@promptloom/recipes';
import { type Io, writeJson } from '../io.js';
import type { RegisterCommand } from './types.js';

interface FileResult {
  file: string;
  ok: boolean;
  steps?: number;
  diagnostics: Diagnostic[];
  source: string;
}

/** `use: <name>` resolves to a recipe (./recipes, the user folder, the package), so include cycles through recipes are found too. */
const resolveRecipe = (io: Io): PipelineRefResolver => recipeRefResolver(recipeSearchPath({ cwd: io.cwd, env: io.env }));

async function checkFile(file: string, io: Io): Promise<FileResult> {
  if (!/\.ya?ml$/i.test(file)) {
    const diagnostics: Diagnostic[] = [{
      code: 'file-not-found',
      message: `${file} is not a pipeline file`,
      file,
      severity: 'error',
      hint: 'pipeline files end in .yaml or .yml',
    }];
    return { file, ok: false, diagnostics, source: '' };
  }
  const r = await validatePipeline(file, { baseDir: io.cwd, resolvePipelineRef: resolveRecipe(io) });
  return { file, ok: r.pipeline !== undefined, steps: r.pipeline?.spec.steps.length, diagnostics: r.diagnostics, source: r.source };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function printText(results: FileResult[], io: Io): void {
  for (const r of results) {
    if (r.diagnostics.length > 0) io.stderr.write(formatDiagnostics(r.diagnostics, r.source, r.file) + '\n');
    if (r.ok) {
      const warnings = r.diagnostics.length;
      io.stdout.write(`ok: ${r.file} (${plural(r.steps ?? 0, 'step')}${warnings ? `, ${plural(warnings, 'warning')}` : ''})\n`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  if (failed > 0) {
    const errors = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity !== 'warning').length, 0);
    io.stderr.write(`${plural(errors, 'error')} in ${failed} of ${plural(results.length, 'file')}\n`);
  }
}

function toJson(results: FileResult[]): unknown {
  return results.map((r) => ({
    file: r.file,
    ok: r.ok,
    diagnostics: r.diagnostics.map((d) => ({
      code: d.code,
      message: d.message,
      line: d.line ?? null,
      col: d.col ?? null,
      severity: d.severity ?? 'error',
      hint: d.hint ?? null,
    })),
  }));
}

export const register: RegisterCommand = (program, io, setExit) => {
  program
    .command('validate')
    .description('check pipeline files: YAML, keys, step kinds, parameters, references, cycles (compiler-style errors)')
    .argument('<files...>', 'pipeline files (.yaml or .yml)')
    .option('--json', 'print the diagnostics of every file as JSON on stdout')
    .addHelpText('after', `
Exit code 0 when every file is valid (warnings allowed), 1 when any file has an error.

Examples:
  loom validate pipeline.yaml                  errors as file:line:col with the line and a caret
  loom validate recipes/*.yaml                 many files in one go
  loom validate pipeline.yaml --json           [{file, ok, diagnostics: [{code, message, line, col, severity, hint}]}]`)
    .action(async (files: string[], flags: { json?: boolean }) => {
      const results: FileResult[] = [];
      for (const file of files) results.push(await checkFile(file, io));
      if (flags.json) writeJson(io, toJson(results));
      else printText(results, io);
      if (results.some((r) => !r.ok)) setExit(1);
    });
};
