import { blockSource, parseMarkdown } from '../../text/blocks.js';
import { CLOSE, OPEN, placeholdersIn, segmentMarkdown, type Unit } from './markdown-segments.js';

/* Checks on a translation: per unit before reassembly, and on the whole document after. */

/**
 * What is wrong with one translated unit, or undefined: every placeholder of the source
 * exactly once and no other, no code fence or heading marker the source did not have.
 */
export function checkUnit(unit: Unit, translated: unknown): string | undefined {
  if (typeof translated !== 'string') return 'is not a string';
  if (translated.trim() === '') return 'is empty';
  const got = placeholdersIn(translated);
  const missing = unit.slots.filter((n) => !got.includes(n));
  if (missing.length) return `lost ${missing.map((n) => `${OPEN}${n}${CLOSE}`).join(', ')}`;
  const extra = got.filter((n) => !unit.slots.includes(n));
  if (extra.length) return `has placeholders that are not in the source: ${extra.map((n) => `${OPEN}${n}${CLOSE}`).join(', ')}`;
  if (got.length !== unit.slots.length) return 'repeats a placeholder';
  if (fences(translated) > fences(unit.text)) return 'adds a code fence';
  if (/(^|\n)#{1,6}\s/.test(translated) && !/(^|\n)#{1,6}\s/.test(unit.text)) return 'adds a heading';
  return undefined;
}

const fences = (text: string) => parseMarkdown(text).blocks.filter((b) => b.kind === 'code' && b.fenced).length;

/** Code blocks (fenced, indented, <pre>) of a Markdown text, as the segmenter keeps them. */
export function codeBlocks(markdown: string): string[] {
  const model = parseMarkdown(markdown);
  return model.blocks.filter((b) => b.kind === 'code').map((b) => blockSource(model, b));
}

/**
 * The final check on a reassembled translation: the source's code blocks appear in it
 * byte for byte and in order, every protected inline part (code, link target, URL, tag)
 * as often as in the source, and no placeholder is left over.
 */
export function compareProtected(source: string, output: string): string[] {
  const problems: string[] = [];
  let from = 0;
  for (const block of codeBlocks(source)) {
    const at = output.indexOf(block, from);
    if (at < 0) { problems.push(`code block changed: ${JSON.stringify(block.slice(0, 60))}`); break; }
    from = at + block.length;
  }
  const need = new Map<string, number>();
  for (const t of segmentMarkdown(source).tokens.values()) need.set(t, (need.get(t) ?? 0) + 1);
  for (const [t, count] of need) {
    if (output.split(t).length - 1 < count) { problems.push(`protected text changed: ${JSON.stringify(t.slice(0, 60))}`); break; }
  }
  if (/⟦\s*\d+\s*⟧/.test(output) && !/⟦\s*\d+\s*⟧/.test(source)) problems.push('placeholders left in the text');
  return problems;
}
