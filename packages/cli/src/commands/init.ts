import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { LoomError } from '@promptloom/core/spec';
import type { Io } from '../io.js';
import type { RegisterCommand } from './types.js';

/** The schema as installed next to the project (npm/pnpm put @promptloom/core in node_modules). */
const SCHEMA_LINE = '# yaml-language-server: $schema=node_modules/@promptloom/core/schema/pipeline.schema.json';

function pipelineName(dir: string): string {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return name ? `${name}-qa` : 'docs-qa';
}

function starterPipeline(name: string): string {
  return `${SCHEMA_LINE}
#
# A starter pipeline: answer a question from your documents, citing the passages it used.
#
#   1. put Markdown, text or HTML files in docs/ and index them:   loom ingest docs
#   2. ask:   loom run pipeline.yaml --input question="How do I add documents?"
#   3. test:  loom test pipeline.yaml      (adapt the tests below to your own docs)
#
# Without a model the answer is extractive: sentences quoted from the docs, each cited.
# With one it is written by the model, still cited: --model openai:gpt-4o-mini (OPENAI_API_KEY),
# or OPENAI_BASE_URL=http://127.0.0.1:11434/v1 --model openai:qwen2.5 for a local server.
# Every key is described in docs/pipelines.md of promptloom; \`loom validate pipeline.yaml\` checks it.
version: 1
name: ${name}
description: Answer a question from the documents in docs/, with citations
inputs:
  question: { type: string, required: true, description: "the question, in any language" }
  lang: { type: string, default: auto, description: "language of the answer; auto = the question's" }
store: .loom
steps:
  - id: hits
    retrieve: { query: "{{ inputs.question }}", k: 6 }
  - id: reply
    answer:
      question: "{{ inputs.question }}"
      passages: "{{ steps.hits.hits }}"
      lang: "{{ inputs.lang }}"
outputs:
  answer: "{{ steps.reply.answer }}"
  citations: "{{ steps.reply.citations }}"
  grounded: "{{ steps.reply.grounded }}"
tests:
  - name: answers from the getting-started page
    inputs: { question: "How do I add my own documents?" }
    assert:
      - { grounded: true }
      - { cites: "getting-started.md" }
      - { path: answer, contains: "loom ingest" }
  - name: refuses what the docs do not say
    inputs: { question: "What is the boiling point of tungsten?" }
    assert:
      - { grounded: false }
`;
}

const LOOMIGNORE = `# Files and folders \`loom ingest\` skips, in .gitignore syntax.
# Hidden files and node_modules/ are always skipped.
.loom/
dist/
build/
*.min.js
*.map
# drafts/
`;

const GETTING_STARTED = `# Getting started

This folder holds the documents the pipeline answers from. Replace this page with your own:
Markdown (\`.md\`), text (\`.txt\`), HTML (\`.html\`) or JSON lines (\`.jsonl\`), in English,
Chinese or any other language, in as many subfolders as you like.

## Adding your own documents

To add your own documents, copy them into this folder and run \`loom ingest docs\`.
Run it again whenever the documents change: only new and edited files are read again, and
with \`--prune\` the files you deleted leave the store too.

## Asking a question

Run \`loom run pipeline.yaml --input question="..."\` to get an answer with its sources.
Without a model the answer quotes the documents; add \`--model openai:gpt-4o-mini\` for a
written answer.
`;

interface InitFlags {
  force?: boolean;
}

interface Planned {
  path: string;
  content: string;
}

function plan(dir: string): Planned[] {
  return [
    { path: join(dir, 'pipeline.yaml'), content: starterPipeline(pipelineName(dir)) },
    { path: join(dir, '.loomignore'), content: LOOMIGNORE },
    { path: join(dir, 'docs', 'getting-started.md'), content: GETTING_STARTED },
  ];
}

function init(dirArg: string | undefined, flags: InitFlags, io: Io): void {
  const dir = resolve(io.cwd, dirArg ?? '.');
  const files = plan(dir);
  const shown = (p: string) => relative(io.cwd, p) || '.';
  const existing = files.filter((f) => existsSync(f.path));
  if (existing.length && !flags.force) {
    throw new LoomError('USAGE', `not overwriting ${existing.map((f) => shown(f.path)).join(', ')}`, {
      hint: 'run loom init in an empty folder, or add --force to replace these files',
    });
  }
  for (const f of files) {
    mkdirSync(join(f.path, '..'), { recursive: true });
    writeFileSync(f.path, f.content);
    io.stdout.write(`${existing.includes(f) ? 'replaced' : 'created'} ${shown(f.path)}\n`);
  }
  const cd = dirArg && dir !== io.cwd ? `  cd ${shown(dir)}\n` : '';
  io.stdout.write(`
Next:
${cd}  loom ingest docs                      index docs/ into ./.loom
  loom run pipeline.yaml --input question="How do I add my own documents?"
  loom test pipeline.yaml               run the tests in pipeline.yaml
For editor completion, install @promptloom/core in this folder (npm i -D @promptloom/core):
pipeline.yaml's first line points the YAML language server at its schema.
`);
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('init')
    .description('start a project: a starter pipeline.yaml, a .loomignore and a docs/ folder')
    .argument('[dir]', 'folder to write into (created if missing; default: the current folder)')
    .option('--force', 'replace files that already exist')
    .addHelpText('after', `
Examples:
  loom init
  loom init my-docs-bot && cd my-docs-bot && loom ingest docs && loom test pipeline.yaml`)
    .action((dir: string | undefined, flags: InitFlags) => init(dir, flags, io));
};
