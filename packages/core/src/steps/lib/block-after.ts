/*
 * Docs often say "Retries are configured in `fetch.retry`:" and then show the block: code, a
 * table or a list. An extractive answer that quotes such a sentence without its block
 * promises something it does not deliver, so the block that follows the sentence comes with it.
 */

const MAX_BLOCK_LINES = 24;
const LIST_ITEM = /^\s{0,3}(?:[-*+]|\d+[.)])\s+/;

export function normaliseQuote(text: string): string {
  return text.replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * The fenced code block, table or list right after `sentence` in `passage`, when the sentence
 * ends with a colon. Nothing when the block is cut off by the chunk's end or is very long:
 * that is better left to the source.
 */
export function blockAfter(passage: string, sentence: string): string | undefined {
  if (!/[:：]\s*$/.test(sentence)) return undefined;
  const tail = normaliseQuote(sentence).slice(-40);
  const lines = passage.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!/[:：]\s*$/.test(lines[i]) || !normaliseQuote(lines[i]).endsWith(tail)) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    const end = blockEnd(lines, j);
    if (end === undefined || end - j >= MAX_BLOCK_LINES) return undefined;
    return lines.slice(j, end + 1).join('\n');
  }
  return undefined;
}

/** The last line of the block starting at `start`, or undefined when there is none. */
function blockEnd(lines: string[], start: number): number | undefined {
  const first = lines[start] ?? '';
  const open = /^\s{0,3}(`{3,}|~{3,})/.exec(first);
  if (open) {
    const end = lines.findIndex((l, k) => k > start && l.trimStart().startsWith(open[1]));
    return end < 0 ? undefined : end;
  }
  if (/^\s*\|/.test(first)) {
    let end = start;
    while (end + 1 < lines.length && /^\s*\|/.test(lines[end + 1])) end++;
    return end;
  }
  if (LIST_ITEM.test(first)) {
    let end = start;
    // items, their indented continuation lines, and blank lines between items
    for (let k = start + 1; k < lines.length; k++) {
      if (LIST_ITEM.test(lines[k]) || /^\s{2,}\S/.test(lines[k])) end = k;
      else if (lines[k].trim() !== '') break;
    }
    return end;
  }
  return undefined;
}
