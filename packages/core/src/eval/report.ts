import type { AnswerAggregate, AnswerReport } from './answers.js';
import type { RetrievalAggregate, RetrievalReport, RetrievalRow } from './retrieval.js';

// CJK, Hangul, fullwidth forms and CJK punctuation take two terminal columns
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += WIDE.test(ch) ? 2 : 1;
  return width;
}

/** Cuts text to at most `max` columns, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (displayWidth(flat) <= max) return flat;
  let out = '';
  let width = 0;
  for (const ch of flat) {
    const w = WIDE.test(ch) ? 2 : 1;
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return out + '…';
}

function pad(text: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
}

/** A plain text table; columns listed in `numeric` are right-aligned. */
export function formatTable(headers: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c ?? '', widths[i], numeric.has(i))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const fmt = (x: number) => x.toFixed(3);

export function metricHeaders(k: number, ks: readonly number[]): string[] {
  return [`nDCG@${k}`, ...ks.map((c) => `R@${c}`), `MRR@${k}`];
}

export function metricCells(a: RetrievalAggregate, k: number, ks: readonly number[]): string[] {
  return [fmt(a.ndcg[k]), ...ks.map((c) => fmt(a.recall[c])), fmt(a.mrr[k])];
}

function groupNames(reports: readonly RetrievalReport[]): string[] {
  return [...new Set(reports.flatMap((r) => Object.keys(r.groups)))];
}

/**
 * One table with a row per (group, mode): the modes side by side under each group, so a change
 * shows where it helps and where it hurts.
 */
export function formatRetrievalTable(reports: readonly RetrievalReport[]): string {
  const { k, ks } = reports[0];
  const headers = ['group', 'mode', 'n', ...metricHeaders(k, ks), 'p50 ms'];
  const rows: string[][] = [];
  const add = (group: string, pick: (r: RetrievalReport) => RetrievalAggregate | undefined) => {
    // a group of no-answer questions has nothing to average
    if (group !== 'overall' && reports.every((r) => (pick(r)?.count ?? 0) === 0)) return;
    reports.forEach((r, i) => {
      const a = pick(r);
      if (!a) return;
      rows.push([i === 0 ? group : '', r.label, String(a.count), ...metricCells(a, k, ks), a.latencyP50Ms.toFixed(1)]);
    });
  };
  add('overall', (r) => r.overall);
  for (const g of groupNames(reports)) add(g, (r) => r.groups[g]);
  const numeric = new Set(headers.map((_, i) => i).filter((i) => i >= 2));
  return formatTable(headers, rows, numeric);
}

/** Questions whose first relevant page is not in the top `within` pages, for each mode that missed. */
export function formatMisses(reports: readonly RetrievalReport[], within = 5, limit = 50): string {
  const byQuestion = new Map<string, { row: RetrievalRow; where: string[] }>();
  for (const r of reports) {
    for (const row of r.rows) {
      if (row.scores === null) continue;
      if (row.firstRank !== undefined && row.firstRank <= within) continue;
      const entry = byQuestion.get(row.id) ?? { row, where: [] };
      const rank = row.firstRank === undefined ? `not in the top ${r.depth} chunks` : `rank ${row.firstRank}`;
      entry.where.push(`${r.label}: ${rank}; top: ${row.pages.slice(0, 2).join(', ') || '(nothing)'}`);
      byQuestion.set(row.id, entry);
    }
  }
  if (byQuestion.size === 0) return `No misses: every question has a relevant page in the top ${within}.`;
  const lines = [`Misses (no relevant page in the top ${within}): ${byQuestion.size} question(s)`];
  for (const { row, where } of [...byQuestion.values()].slice(0, limit)) {
    const tag = [row.kind, row.lang].filter(Boolean).join(', ');
    lines.push(`- ${row.id}${tag ? ` (${tag})` : ''}: ${truncate(row.query, 72)}`);
    lines.push(`    gold: ${row.gold.join(', ')}`);
    for (const w of where) lines.push(`    ${w}`);
  }
  if (byQuestion.size > limit) lines.push(`… and ${byQuestion.size - limit} more (use --json for all)`);
  return lines.join('\n');
}

export function formatRetrievalReport(reports: readonly RetrievalReport[], options: { misses?: boolean } = {}): string {
  const first = reports[0];
  const parts = [
    `Retrieval: ${first.rows.length} question(s), ${first.overall.count} with a relevant page; metrics per page, ` +
      `from the top ${first.depth} chunks grouped by page`,
    '',
    formatRetrievalTable(reports),
  ];
  if (first.skipped > 0) parts.push('', `${first.skipped} question(s) without a relevant page are not averaged.`);
  if (options.misses !== false) parts.push('', formatMisses(reports));
  return parts.join('\n');
}

const share = (x: number | null) => (x === null ? '-' : fmt(x));

/** Answer quality per group, then the cases that went wrong. */
export function formatAnswerReport(report: AnswerReport, options: { failures?: boolean } = {}): string {
  const headers = ['group', 'cases', 'failed', 'cite prec', 'phrases', 'all', 'any', 'refused ok', 'false refusals', 'p50 ms', 'tokens/case'];
  const row = (name: string, a: AnswerAggregate) => [
    name, String(a.cases), String(a.failed), share(a.citationPrecision), share(a.phraseRecall), share(a.containsAll),
    share(a.containsAny), share(a.refusalAccuracy), share(a.falseRefusals), a.latencyP50Ms.toFixed(0), a.tokensPerCase.toFixed(0),
  ];
  const rows = [row('overall', report.overall), ...Object.entries(report.groups).map(([g, a]) => row(g, a))];
  const parts = [
    `Answers: ${report.rows.length} case(s) through pipeline "${report.pipeline}"`,
    '',
    formatTable(headers, rows, new Set(headers.map((_, i) => i).filter((i) => i > 0))),
    '',
    'cite prec: cited passages from a gold page; phrases: expected phrases found (all / any: cases with every / at least one);',
    'refused ok: no-answer cases that refused; false refusals: answerable cases that refused.',
  ];
  if (options.failures !== false) {
    const bad = report.rows.filter((r) => r.status === 'failed' || r.behaved === false || r.containsAny === false || (r.citationPrecision ?? 1) < 1);
    if (bad.length > 0) parts.push('', `Cases to look at: ${bad.length}`);
    for (const r of bad.slice(0, 40)) {
      const why = r.status === 'failed' ? `failed: ${r.error}` : [
        r.behaved === false ? (r.expect === 'refuse' ? 'answered a no-answer question' : 'refused an answerable question') : '',
        r.containsAny === false ? 'no expected phrase' : r.containsAll === false ? `phrases ${fmt(r.phraseRecall ?? 0)}` : '',
        (r.citationPrecision ?? 1) < 1 ? `cites ${r.citedSources.join(', ')}` : '',
      ].filter(Boolean).join('; ');
      parts.push(`- ${r.id}${r.kind ? ` (${[r.kind, r.lang].filter(Boolean).join(', ')})` : ''}: ${truncate(r.query, 60)}`, `    ${why}`);
    }
  }
  return parts.join('\n');
}
