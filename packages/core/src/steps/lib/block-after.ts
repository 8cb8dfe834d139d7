/*
 * Docs often say "Retries are configured in `fetch.retry`:" and then show the block. An
 * extractive answer that quotes such a sentence without its block promises something it
 * does not deliver, so the block that follows the sentence in the passage comes with it.
 */

const MAX_BLOCK_LINES = 24;

function normalise(text: string): string {
  return text.replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The fenced code block right after `sentence` in `passage`, when the sentence ends with a colon. */
export function blockAfter(passage: string, sentence: string): string | undefined {
  if (!/[:：]\s*$/.test(sentence)) return undefined;
  const tail = normalise(sentence).slice(-40);
  const lines = passage.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!/[:：]\s*$/.test(lines[i]) || !normalise(lines[i]).endsWith(tail)) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(lines[j] ?? '');
    if (!open) return undefined;
    const end = lines.findIndex((l, k) => k > j && l.trimStart().startsWith(open[1]));
    // a block cut off by the chunk's end, or a very long one, is better left to the source
    if (end < 0 || end - j > MAX_BLOCK_LINES) return undefined;
    return lines.slice(j, end + 1).join('\n');
  }
  return undefined;
}
