import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { LoomError } from '@promptloom/core/spec';
import type { RunEventListener, RunResult } from '@promptloom/core';
import { type Io, isInteractive, writeJson } from '../io.js';
import { STORE_HELP, existingStore } from '../store-flag.js';
import { interruptSignal, type RegisterCommand } from './types.js';

interface AskFlags {
  store?: string;
  k: number;
  lang?: string;
  json?: boolean;
  model?: string;
  stream: boolean;
  cache: boolean;
}

interface AskCitation { n: number; source: string; heading: string; quote?: string; id?: string }

interface AskOutputs {
  answer: string;
  citations: AskCitation[];
  grounded: boolean;
  extractive?: boolean;
  lang?: string;
}

const NO_MODEL_NOTE =
  'note: no model configured, so this answer is extractive (quoted sentences, not generated). ' +
  'For generated answers: --model openai:NAME with OPENAI_BASE_URL=http://HOST:PORT/v1 (any OpenAI-compatible server), or set LOOM_MODEL.';

function parseK(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new InvalidArgumentError('expected a whole number from 1 to 200');
  return n;
}

function storeDirOf(flags: AskFlags, io: Io): string {
  return existingStore(flags.store, io).location;
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

function printAnswer(io: Io, out: AskOutputs, streamed: string): void {
  if (streamed) {
    // the live tokens are the raw model text; the checked answer differs when a citation was removed
    if (streamed.trim() !== out.answer.trim()) io.stdout.write(`\n(checked answer)\n${out.answer}\n`);
  } else {
    io.stdout.write(`${out.answer}\n`);
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

function outputsOf(result: RunResult): AskOutputs {
  if (result.status !== 'ok') {
    if (result.status === 'cancelled') throw new LoomError('RUN_ABORTED', 'interrupted: no answer');
    throw result.error ?? new LoomError('RUN_STEP_FAILED', 'the ask pipeline failed');
  }
  const o = result.outputs as Partial<AskOutputs>;
  return { answer: String(o.answer ?? ''), citations: Array.isArray(o.citations) ? o.citations : [], grounded: o.grounded === true, extractive: o.extractive === true, lang: o.lang };
}

async function ask(words: string[], flags: AskFlags, io: Io): Promise<void> {
  const question = words.join(' ').trim();
  if (!question) throw new LoomError('USAGE', 'loom ask needs a question', { hint: 'loom ask "How do I configure retries?"' });
  const store = storeDirOf(flags, io);
  const core = await import('@promptloom/core');
  const { RECIPES_DIR } = await import('@promptloom/recipes');
  const pipeline = await core.loadPipeline(join(RECIPES_DIR, 'ask.yaml'));
  const models = flags.model ? { default: core.parseModelFlag(flags.model) } : undefined;
  const stream = flags.stream && !flags.json && Boolean(io.stdout.isTTY) && isInteractive(io);
  const printer = tokenPrinter(io, stream);
  // the run and its model calls go into the store's ledger, as for `loom run` (see `loom runs`)
  const ledger = core.createLedger(store, { env: io.env });
  const result = await core.runPipeline(pipeline, { question, k: flags.k, ...(flags.lang ? { lang: flags.lang } : {}) }, {
    store, models, cache: flags.cache, onToken: printer.onToken, signal: interruptSignal(), env: io.env, listeners: [ledger.listener, printer.listener],
  });
  // end the streamed line before any warning goes to the terminal
  if (printer.printed()) io.stdout.write('\n');
  const out = outputsOf(result);
  for (const record of Object.values(result.steps)) {
    for (const w of record.warnings) {
      // the offline note below says it better than the step's own warning
      if (out.extractive && /no model configured/.test(w)) continue;
      io.stderr.write(`warning: step "${record.id}": ${w}\n`);
    }
  }
  if (flags.json) {
    writeJson(io, { answer: out.answer, citations: out.citations, grounded: out.grounded, extractive: out.extractive });
  } else {
    printAnswer(io, out, printer.printed());
  }
  if (out.extractive) io.stderr.write(`${NO_MODEL_NOTE}\n`);
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('ask')
    .description('answer a question from the document store, citing its sources')
    .argument('<question...>', 'the question (quotes optional)')
    .option('--store <dir>', STORE_HELP)
    .option('-k <n>', 'passages to retrieve (1-200)', parseK, 6)
    .option('--lang <code>', "answer language, e.g. en or zh (default: the question's)")
    .option('--json', 'print {answer, citations, grounded, extractive} as JSON')
    .option('--model <provider:name>', 'model for this run, e.g. openai:gpt-4o-mini (default: $LOOM_MODEL; none: extractive answer)')
    .option('--no-stream', 'print the answer when complete instead of token by token')
    .option('--no-cache', 'bypass the model call cache')
    .addHelpText('after', `
Examples:
  loom ask "How do I configure fetch retries?"
  loom ask "如何配置抓取重试？" --store .loom -k 8
  OPENAI_BASE_URL=http://127.0.0.1:11434/v1 loom ask --model openai:qwen2.5 "How do I back up the database?"
  loom ask --json "Which port does the web UI use?"`)
    .action((words: string[], flags: AskFlags) => ask(words, flags, io));
};
