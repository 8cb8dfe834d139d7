import { InvalidArgumentError } from 'commander';
import { LoomError } from '@promptloom/core/spec';
import type { AskResult, RunEventListener } from '@promptloom/core';
import { type Io, isInteractive, writeJson } from '../io.js';
import { STORE_HELP, storeOption } from '../store-flag.js';
import { interruptSignal, type RegisterCommand } from './types.js';

interface AskFlags {
  store?: string;
  k: number;
  lang?: string;
  filter?: string[];
  json?: boolean;
  model?: string;
  stream: boolean;
  cache: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseK(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new InvalidArgumentError('expected a whole number from 1 to 200');
  return n;
}

/**
 * Prints streamed tokens on a terminal and remembers them, to avoid printing the answer twice.
 * A failed attempt's partial text is marked as discarded before the retry streams, never glued to it.
 */
function tokenPrinter(io: Io, enabled: boolean): { onToken?: (delta: string) => void; printed: () => string; listener: RunEventListener } {
  let text = '';
  const listener: RunEventListener = (e) => {
    if (e.type !== 'step-retry' || !text) return;
    io.stdout.write(`\n[retrying: ${e.error}]\n`);
    text = '';
  };
  if (!enabled) return { printed: () => text, listener };
  return {
    onToken: (delta) => {
      text += delta;
      io.stdout.write(delta);
    },
    printed: () => text,
    listener,
  };
}

function printAnswer(io: Io, out: AskResult, streamed: string): void {
  if (streamed) {
    // the live tokens are the raw model text; the checked answer differs when a citation was removed
    if (streamed.trim() !== out.answer.trim()) io.stdout.write(`\n(checked answer)\n${out.answer}\n`);
  } else {
    io.stdout.write(`${out.banner ? `${out.banner}\n` : ''}${out.answer}\n`);
  }
  if (out.citations.length === 0) return;
  io.stdout.write('\nSources:\n');
  for (const c of out.citations) io.stdout.write(`[${c.n}] ${[c.source, c.heading].filter(Boolean).join(' › ')}${linkSuffix(c)}\n`);
}

/** The link of a synced source, when the source name is not already it (a forum post's anchor). */
export function linkSuffix(c: { source: string; url?: string; updated_at?: string }): string {
  const date = c.updated_at ? ` (updated ${c.updated_at.slice(0, 10)})` : '';
  return c.url && c.url !== c.source ? `\n    ${c.url}${date}` : date;
}

/** `loom ask`: a shell over core's ask(); the flow, the store rule and the output shape live there. */
async function askCommand(words: string[], flags: AskFlags, io: Io): Promise<void> {
  const question = words.join(' ').trim();
  if (!question) throw new LoomError('USAGE', 'loom ask needs a question', { hint: 'loom ask "How do I configure retries?"' });
  const core = await import('@promptloom/core');
  const { recipeDirs } = await import('@promptloom/recipes');
  const stream = flags.stream && !flags.json && Boolean(io.stdout.isTTY) && isInteractive(io);
  const printer = tokenPrinter(io, stream);
  let out: AskResult;
  try {
    out = await core.ask({
      question, store: storeOption(flags.store, io), k: flags.k, lang: flags.lang, filter: flags.filter ? core.parseFilterFlags(flags.filter) : undefined,
      model: flags.model, cache: flags.cache, onToken: printer.onToken, onEvent: printer.listener, signal: interruptSignal(), env: io.env, cwd: io.cwd,
      recipeDirs: recipeDirs({ cwd: io.cwd, env: io.env }),
    });
  } catch (error) {
    // --json: a script reading stdout learns of the failure there too (the message goes to stderr)
    if (flags.json) {
      const err = core.toLoomError(error);
      writeJson(io, { status: 'failed', error: { code: err.code, message: core.redact(err.message, io.env) } });
    }
    throw error;
  }
  // end the streamed line before any warning goes to the terminal
  if (printer.printed()) io.stdout.write('\n');
  for (const w of out.warnings) io.stderr.write(`warning: ${w}\n`);
  if (flags.json) {
    writeJson(io, {
      status: 'ok', answer: out.answer, citations: out.citations, grounded: out.grounded, extractive: out.extractive,
      lang: out.lang, ...(out.banner ? { banner: out.banner } : {}), ...(out.note ? { note: out.note } : {}), runId: out.runId,
    });
  } else {
    printAnswer(io, out, printer.printed());
  }
  if (out.note) io.stderr.write(`note: ${out.note}\n`);
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('ask')
    .description('answer a question from the document store, citing its sources')
    .argument('<question...>', 'the question (quotes optional)')
    .option('--store <dir>', STORE_HELP)
    .option('-k, --k <n>', 'passages to retrieve (1-200)', parseK, 6)
    .option('--lang <code>', "answer language, e.g. en or zh (default: the question's)")
    .option('--filter <key=value>', 'only passages matching, repeatable: source=<glob>, tag=<tag>, lang=<code>, or a front-matter key', collect)
    .option('--json', 'print {status, answer, citations, grounded, extractive, lang, note} as JSON (on failure {status: "failed", error})')
    .option('--model <provider:name>', 'model for this run, e.g. openai:gpt-4o-mini (default: $LOOM_MODEL; none: extractive answer)')
    .option('--no-stream', 'print the answer when complete instead of token by token')
    .option('--no-cache', 'bypass the model call cache')
    .addHelpText('after', `
Examples:
  loom ask "How do I configure fetch retries?"
  loom ask "如何配置抓取重试？" --store .loom -k 8
  OPENAI_BASE_URL=http://127.0.0.1:11434/v1 loom ask --model openai:qwen2.5 "How do I back up the database?"
  loom ask --json "Which port does the web UI use?"`)
    .action((words: string[], flags: AskFlags) => askCommand(words, flags, io));
};
