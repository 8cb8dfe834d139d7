import { InvalidArgumentError } from 'commander';
import { LoomError } from '@promptloom/core/spec';
import type { LedgerStep, RunDetail } from '@promptloom/core';
import { type Io, writeJson } from '../io.js';
import { STORE_HELP, existingStore } from '../store-flag.js';
import type { RegisterCommand } from './types.js';

interface StoreFlags { store?: string; json?: boolean }

/** Runs are recorded in the store of `loom run` / `loom ask` (the one their steps read). */
function storeDirOf(flags: StoreFlags, io: Io): string {
  return existingStore(flags.store, io).location;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('expected a whole number from 1 to 10000');
  return n;
}

export const register: RegisterCommand = (program, io) => {
  const runs = program
    .command('runs')
    .description('the run ledger: past runs with their model calls, tokens, cost and cache hits')
    .addHelpText('after', `
Examples:
  loom runs list                     the latest 20 runs in ./.loom
  loom runs list --limit 100 --json  as data
  loom runs show 3f2a9c              one run (an id prefix is enough): per step model, tokens, cost, latency, cache`);

  runs
    .command('list', { isDefault: true })
    .description('list recent runs, newest first')
    .option('--store <dir>', STORE_HELP)
    .option('--limit <n>', 'how many runs', parseLimit, 20)
    .option('--json', 'print the runs as JSON')
    .action(async (flags: StoreFlags & { limit: number }) => {
      const { listRuns } = await import('@promptloom/core');
      const dir = storeDirOf(flags, io);
      const list = listRuns(dir, { limit: flags.limit });
      if (flags.json) return writeJson(io, list);
      if (list.length === 0) {
        io.stdout.write(`no runs recorded in ${dir} yet\n`);
        return;
      }
      io.stdout.write(table(
        ['ID', 'STARTED', 'PIPELINE', 'STATUS', 'TIME', 'CALLS', 'CACHED', 'TOKENS IN/OUT', 'COST'],
        list.map((r) => [
          shortId(r.id), localTime(r.startedAt), r.pipeline, r.status, duration(r.durationMs), String(r.usage.calls),
          String(r.usage.cachedCalls), tokens(r.usage), cost(r.usage),
        ]),
      ));
    });

  runs
    .command('show <id>')
    .description('show one run: each step with its model, tokens, cost, latency and cache hits')
    .option('--store <dir>', STORE_HELP)
    .option('--json', 'print the run as JSON')
    .action(async (id: string, flags: StoreFlags) => {
      const { getRun } = await import('@promptloom/core');
      const dir = storeDirOf(flags, io);
      const run = getRun(dir, id);
      if (!run) throw new LoomError('USAGE', `no run "${id}" in ${dir}`, { hint: 'see the ids with: loom runs list' });
      if (flags.json) return writeJson(io, run);
      io.stdout.write(showText(run));
    });
};

function showText(run: RunDetail): string {
  const lines = [
    `run ${run.id}  ${run.pipeline}  ${run.status}  ${localTime(run.startedAt)}  ${duration(run.durationMs)}`,
    `model calls: ${run.usage.calls} (${run.usage.cachedCalls} from the cache${run.usage.failedCalls ? `, ${run.usage.failedCalls} failed` : ''})  tokens: ${tokens(run.usage)}  cost: ${cost(run.usage)}`,
  ];
  for (const c of run.calls.filter((c) => c.errorCode).slice(0, 5)) lines.push(`failed call in ${c.step}: [${c.errorCode}] ${c.error ?? ''}`);
  if (run.workers.length) lines.push(`workers: ${run.workers.map((w) => `${w.worker} (${w.calls} calls)`).join(', ')}`);
  if (run.usage.estimated) lines.push('~ marks token counts estimated with a tokenizer because the server sent no usage');
  if (run.error) lines.push(`error: ${run.error}`);
  if (run.notRun.length) lines.push(`not run: ${run.notRun.join(', ')}`);
  if (run.steps.length) {
    lines.push('');
    lines.push(table(
      ['STEP', 'KIND', 'STATUS', 'TIME', 'MODEL', 'CALLS', 'CACHED', 'TOKENS IN/OUT', 'LATENCY', 'COST'],
      run.steps.map((s) => stepRow(s)),
    ).trimEnd());
  }
  return lines.join('\n') + '\n';
}

function stepRow(s: LedgerStep): string[] {
  const status = s.status === 'failed' && s.errorCode ? `failed (${s.errorCode})` : s.status;
  const items = s.items > 0 ? ` ×${s.items}` : '';
  return [
    s.step, (s.kind ?? '') + items, status, duration(s.durationMs), s.models.join(', ') || '-', String(s.calls),
    s.calls ? `${s.cachedCalls}${s.cachedCalls === s.calls ? ' (all)' : ''}` : '-', s.calls ? tokens(s) : '-',
    s.calls ? duration(s.latencyMs) : '-', s.calls ? cost(s) : '-',
  ];
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function tokens(u: { promptTokens: number; completionTokens: number; estimated: boolean }): string {
  return `${u.estimated ? '~' : ''}${u.promptTokens}/${u.completionTokens}`;
}

function cost(u: { costUsd: number; costKnown: boolean }): string {
  const amount = u.costUsd === 0 ? '$0' : `$${u.costUsd < 0.01 ? u.costUsd.toFixed(6) : u.costUsd.toFixed(4)}`;
  return u.costKnown ? amount : `${amount} + unknown`;
}
