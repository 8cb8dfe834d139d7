import type { Hit, SearchMode } from '@promptloom/core';
import { LoomError } from '@promptloom/core/spec';
import { type Io, writeJson } from '../io.js';
import { STORE_HELP, existingStore } from '../store-flag.js';
import { linkSuffix } from './ask.js';
import { interruptSignal, type RegisterCommand } from './types.js';

interface SearchFlags {
  store?: string;
  k: string;
  mode: string;
  lang?: string;
  filter?: string[];
  mmr?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function printHits(hits: Hit[], io: Io): void {
  if (hits.length === 0) {
    io.stderr.write('no results\n');
    return;
  }
  const width = Math.max(60, Math.min(160, (io.stdout.columns ?? 100) - 4));
  hits.forEach((h, i) => {
    const where = h.heading ? `${h.source} › ${h.heading}` : h.source;
    io.stdout.write(`${i + 1}. ${where}  (${h.score.toFixed(3)}, ${h.lang})${linkSuffix(h)}\n   ${oneLine(h.text, width)}\n`);
  });
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('search')
    .description('search the document store (hybrid vector + full-text by default)')
    .argument('<query...>', 'what to search for (any language)')
    .option('--store <dir>', STORE_HELP)
    .option('-k, --k <n>', 'number of hits', '10')
    .option('--mode <mode>', 'hybrid, vector or lexical', 'hybrid')
    .option('--lang <code>', 'only chunks in this language (e.g. en, zh; comma list allowed)')
    .option('--filter <key=value>', 'metadata filter, repeatable: source=<glob>, tag=<tag>, lang=<code>, or a front-matter key', collect)
    .option('--mmr', 'diversify the hits (maximal marginal relevance)')
    .option('--json', 'print the hits as a JSON array on stdout')
    .addHelpText('after', `
Examples:
  loom search "how do I retry a failed step"
  loom search "向量索引怎么重建" --lang zh
  loom search "teleport" --filter source='en/**' --filter tag=api -k 5 --json`)
    .action(async (words: string[], flags: SearchFlags) => {
      const k = Number(flags.k);
      if (!Number.isInteger(k) || k < 1 || k > 1000) throw new LoomError('USAGE', `-k must be a whole number from 1 to 1000 (got "${flags.k}")`);
      if (!['hybrid', 'vector', 'lexical'].includes(flags.mode)) {
        throw new LoomError('USAGE', `--mode must be hybrid, vector or lexical (got "${flags.mode}")`);
      }
      const core = await import('@promptloom/core');
      const filter = core.parseFilterFlags(flags.filter);
      const dir = existingStore(flags.store, io).location;
      // read-write so that an index repaired on open is saved for the next search; a read-only
      // store (permissions) is still searchable
      const store = await core.openDocumentStore(dir, { env: io.env }).catch((error: unknown) => {
        if (error instanceof LoomError && error.code === 'STORE_IO') return core.openDocumentStore(dir, { readonly: true, env: io.env });
        throw error;
      });
      try {
        const hits = await store.search(words.join(' '), { k, mode: flags.mode as SearchMode, lang: flags.lang, filter, mmr: flags.mmr, signal: interruptSignal() });
        if (flags.json) writeJson(io, hits);
        else printHits(hits, io);
      } finally {
        await store.close();
      }
    });
};
