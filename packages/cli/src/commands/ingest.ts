import type { IngestProgress, IngestSummary } from '@promptloom/core';
import { LoomError } from '@promptloom/core/spec';
import { type Io, isInteractive, writeJson } from '../io.js';
import { createProgress, type Progress } from '../progress.js';
import { STORE_HELP, storeAt } from '../store-flag.js';
import { interruptSignal, type RegisterCommand } from './types.js';

interface IngestFlags {
  store?: string;
  embedder?: string;
  prune?: boolean;
  reembed?: boolean;
  chunkSize?: string;
  chunkOverlap?: string;
  learn?: boolean;
  json?: boolean;
}

const PHASE_LABELS: Record<string, string> = { ingest: 'files', index: 'index', reembed: 'reembed', learn: 'learn' };

/**
 * One bar per phase on a terminal; in pipes and CI one line per phase start, nothing per file.
 * Bars are created asynchronously (cli-progress loads lazily), so a phase can end before its bar
 * exists: a bar that arrives after its phase (or after stop) is never started. A started bar owns
 * a redraw timer that keeps Node alive, so every started bar must be stopped.
 */
function progressReporter(io: Io): { onProgress: (p: IngestProgress) => void; stop: () => void } {
  let phase = '';
  let bar: Progress | undefined;
  let generation = 0;
  let stopped = false;
  const interactive = isInteractive(io);
  return {
    onProgress(p) {
      if (p.phase !== phase) {
        phase = p.phase;
        bar?.stop();
        bar = undefined;
        const mine = ++generation;
        if (interactive) {
          const label = PHASE_LABELS[p.phase] ?? p.phase;
          void createProgress(io, label).then((b) => {
            if (stopped || mine !== generation) return; // superseded before it was shown
            b.start(p.total);
            bar = b;
          });
        }
      }
      bar?.update(p.done, p.file ?? '');
    },
    stop() {
      stopped = true;
      bar?.stop();
      bar = undefined;
    },
  };
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new LoomError('USAGE', `${flag} must be a whole number (got "${value}")`);
  return n;
}

export function summaryLine(s: IngestSummary, store: string): string {
  const parts = [`${s.added} added`, `${s.updated} updated`, `${s.unchanged} unchanged`, `${s.removed} removed`];
  if (s.renamed) parts.push(`${s.renamed} renamed`);
  if (s.skipped.length) parts.push(`${s.skipped.length} skipped`);
  const line = `ingested ${s.files} file${s.files === 1 ? '' : 's'}: ${parts.join(', ')}; ${s.chunks} chunks (${s.embedded} embedded) in ${s.seconds.toFixed(1)} s -> ${store}`;
  return s.learned?.status === 'trained' ? `${line}\n${learnedLine(s.learned)}` : line;
}

/** What became of the store's learned space (docs/text.md, "The learned space"). */
export function learnedLine(l: NonNullable<IngestSummary['learned']>): string {
  if (l.status === 'too-small') return `learned space: not trained (${l.chunks} chunks; it needs at least 200), retrieval stays lexical + hashing`;
  if (l.status === 'current') return `learned space: current (${Math.round((l.changed ?? 0) * 100)}% of the chunks changed since training; retrains at 20%)`;
  return `learned space: trained on ${l.chunks} chunks with ${l.pairs} translated page groups in ${l.seconds.toFixed(1)} s`;
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('ingest')
    .description('index files and folders into the document store (incremental: unchanged files cost nothing)')
    .argument('<paths...>', 'files or folders: .md .markdown .txt .html .htm .json .jsonl')
    .option('--store <dir>', STORE_HELP)
    .option('--embedder <spec>', "local (default), local:<dims>, openai:<model>, transformers:<model or dir>")
    .option('--prune', 'remove documents whose files are no longer under the given folders')
    .option('--reembed', 'switch the store to another embedder and re-embed every chunk')
    .option('--chunk-size <chars>', 'chunk size in characters (default 1200; changing it re-chunks everything)')
    .option('--chunk-overlap <chars>', 'overlap between chunks of one section (default 150)')
    .option('--no-learn', 'do not train or refresh the learned retrieval space after the ingest')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText('after', `
Folders are walked recursively; hidden folders, node_modules and paths matched by a .loomignore
file (gitignore syntax) are skipped. JSON/JSONL records need a text, content or body field.
Source paths are stored relative to the folder given (or to the common folder of several).

Examples:
  loom ingest docs/                      index ./docs into ./.loom
  loom ingest docs/en docs/zh --prune    sources keep their en/ and zh/ prefixes
  loom ingest docs --embedder openai:text-embedding-3-small --reembed`)
    .action(async (paths: string[], flags: IngestFlags) => {
      const core = await import('@promptloom/core');
      const store = storeAt(flags.store, io).location;
      const progress = progressReporter(io);
      let summary: IngestSummary;
      try {
        summary = await core.ingest({
          paths,
          store,
          cwd: io.cwd,
          env: io.env,
          embedder: flags.embedder,
          prune: flags.prune,
          reembed: flags.reembed,
          chunkSize: count(flags.chunkSize, '--chunk-size'),
          chunkOverlap: count(flags.chunkOverlap, '--chunk-overlap'),
          learn: flags.learn,
          signal: interruptSignal(),
          onProgress: progress.onProgress,
          onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
        });
      } finally {
        progress.stop();
      }
      if (flags.json) writeJson(io, { store, ...summary });
      else io.stdout.write(summaryLine(summary, store) + '\n');
    });
};
