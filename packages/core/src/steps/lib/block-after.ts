/*
 * Docs often say "Retries are configured in `fetch.retry`:" and then show the block: code, a
 * table or a list. An extractive answer that quotes such a sentence without its block
 * promises something it does not deliver, so the block that follows the sentence comes with it.
 */
import { type MarkdownModel, type MdBlock, parseMarkdown } from '../../text/blocks.js';
import { joinLines } from '../../text/sentences.js';

const MAX_BLOCK_LINES = 24;

export function normaliseQuote(text: string): string {
  return text.replace(/[`*_]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

export interface FollowingBlock {
  /** the block's Markdown source */
  text: string;
  /** its words without markup: the code of a code block, the cells of a table, the text of a list */
  prose: string;
}

/**
 * The code block, table or list right after `sentence` in `passage`, when the sentence ends
 * with a colon. Nothing when the block is cut off by the chunk's end (a fence never closed) or
 * is very long: that is better left to the source.
 */
export function blockAfter(passage: string, sentence: string): FollowingBlock | undefined {
  if (!/[:：]\s*$/.test(sentence)) return undefined;
  const tail = normaliseQuote(sentence).slice(-40);
  const model = parseMarkdown(passage);
  const at = model.blocks.findIndex((b) => b.kind === 'paragraph' && normaliseQuote(joinLines(b.text!.split('\n'))).endsWith(tail));
  if (at < 0) return undefined;
  const blocks = following(model, at);
  if (!blocks || blocks[blocks.length - 1].endLine - blocks[0].line > MAX_BLOCK_LINES) return undefined;
  const text = model.source.slice(blocks[0].start, blocks[blocks.length - 1].end);
  return { text, prose: blocks.map(proseOf).join('\n') };
}

/** The blocks the paragraph at `at` introduces: a closed code block, a table, or a whole list. */
function following(model: MarkdownModel, at: number): MdBlock[] | undefined {
  const next = model.blocks[at + 1];
  if (!next) return undefined;
  if (next.kind === 'code') return next.fenced && !next.closed ? undefined : [next];
  if (next.kind === 'table') return [next];
  const list = next.lists?.[next.lists.length - 1];
  if (list === undefined || model.blocks[at].lists?.includes(list)) return undefined;
  const out: MdBlock[] = [];
  for (let k = at + 1; k < model.blocks.length && model.blocks[k].lists?.includes(list); k++) out.push(model.blocks[k]);
  return out;
}

function proseOf(b: MdBlock): string {
  if (b.kind === 'code') return b.content ?? '';
  if (b.kind === 'table') return b.rows!.map((r) => r.cells.join(' ')).join('\n');
  return b.text ?? '';
}


