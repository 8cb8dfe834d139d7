import { createRequire } from 'node:module';
import type { ChatMessage } from './types.js';

type Encoding = 'o200k_base' | 'cl100k_base';
interface Encoder { encode(text: string, allowedSpecial?: 'all' | string[], disallowedSpecial?: 'all' | string[]): number[] }

const require = createRequire(import.meta.url);
const encoders = new Map<Encoding, Encoder>();

// The rank tables are megabytes of JSON (o200k takes ~0.8 s to load), so they load on the first
// count, synchronously because ModelHandle.countTokens is sync. The lite build + one rank file
// keeps the other tables out of memory.
function encoder(encoding: Encoding): Encoder {
  let enc = encoders.get(encoding);
  if (!enc) {
    const { Tiktoken } = require('js-tiktoken/lite') as { Tiktoken: new (ranks: unknown) => Encoder };
    const ranks = require(`js-tiktoken/ranks/${encoding}`) as { default?: unknown };
    enc = new Tiktoken(ranks.default ?? ranks);
    encoders.set(encoding, enc);
  }
  return enc;
}

/**
 * The tokenizer for a model name, and whether it is the model's own (exact) or a stand-in.
 * OpenAI's current models use o200k_base, older ones cl100k_base; for anything else
 * (Llama, Qwen, Mistral on a local server) cl100k_base is an estimate.
 */
export function encodingFor(model?: string): { encoding: Encoding; exact: boolean } {
  const m = (model ?? '').toLowerCase().replace(/^[a-z]+:/, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)/.test(m)) return { encoding: 'o200k_base', exact: true };
  if (/^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada)/.test(m)) return { encoding: 'cl100k_base', exact: true };
  return { encoding: 'cl100k_base', exact: false };
}

/** Tokens in `text` for `model` (an estimate with a stand-in tokenizer when the model's own is unknown). */
export function countTokens(text: string, model?: string): number {
  if (!text) return 0;
  const enc = encoder(encodingFor(model).encoding);
  // special-token text in user content is just text: never throw on "<|endoftext|>"
  const count = (t: string) => (t ? enc.encode(t, [], []).length : 0);
  // BPE merging is quadratic in the length of one word: a 1 MB line without spaces (minified
  // code, base64, "xxxx…") would take hours. Such runs are counted in slices, a close estimate.
  let total = 0;
  let from = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    total += count(text.slice(from, m.index));
    for (let i = 0; i < m[0].length; i += RUN_SLICE) total += count(m[0].slice(i, i + RUN_SLICE));
    from = m.index + m[0].length;
  }
  return total + count(text.slice(from));
}

// BPE costs grow with the square of a word's length (256 Chinese characters: 150 µs each, 64: 40)
const RUN_SLICE = 64;
const LONG_RUN = new RegExp(`\\S{${RUN_SLICE * 2},}`, 'g');

/** Prompt tokens of a chat request: content plus the few tokens of framing each message costs. */
export function countMessageTokens(messages: ChatMessage[], model?: string): number {
  let total = 3;
  for (const m of messages) total += 4 + countTokens(m.content, model);
  return total;
}
