import { createHash } from 'node:crypto';
import { segmentForIndex } from '../text/segment.js';

export const HEADING_SEPARATOR = ' > ';

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * The text a chunk is embedded from: title and heading path first, because a passage under
 * "Teleport > Basic Usage" is about Teleport even when its body never says so.
 */
export function embeddingInput(title: string | null | undefined, heading: string, text: string): string {
  const parts: string[] = [];
  if (title && !heading.startsWith(title)) parts.push(title);
  if (heading) parts.push(heading);
  return parts.length > 0 ? `${parts.join(HEADING_SEPARATOR)}\n\n${text}` : text;
}

/** Same input, same vector: the key under which vectors are reused across edits and renames. */
export function inputHash(input: string): string {
  return sha1(input).slice(0, 24);
}

/**
 * Stable chunk id: the document key, the chunk's content hash and which occurrence of that
 * content it is, so unchanged chunks keep their id when other parts of the document change.
 */
export function chunkUid(documentKey: string, textHash: string, occurrence: number): string {
  return sha1(`${documentKey}\u0000${textHash}\u0000${occurrence}`).slice(0, 16);
}

/** Title, heading and body segmented for FTS5 (Chinese and Japanese split into words). */
export function ftsFields(title: string | null | undefined, heading: string, text: string): { title: string; heading: string; body: string } {
  return { title: segmentForIndex(title ?? ''), heading: segmentForIndex(heading), body: segmentForIndex(text) };
}
