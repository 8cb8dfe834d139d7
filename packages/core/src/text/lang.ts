/**
 * Language detection: script counts first, then fastText's lid.176 model for Latin-script text.
 *
 * The script check comes first because lid.176 misreads short Chinese strings and mixed
 * Chinese prose full of English API names; counting Han, kana and Hangul against Latin letters
 * (with code spans and fences removed) settles those cases without a model.
 */

import { parseMarkdown, proseText } from './blocks.js';

export type Lang = 'en' | 'zh' | 'ja' | 'ko' | 'other';

/** lid.176 answers below this probability are not trusted; the script heuristic decides. */
export const FASTTEXT_THRESHOLD = 0.6;
// below this much prose, lid.176 guesses (it reads "ref()" as Spanish at 0.70)
const MIN_WORDS_FOR_MODEL = 3;
const MIN_LETTERS_FOR_MODEL = 12;
const MODEL_INPUT_CHARS = 2000;
// letters of prose (a CJK character counts three) below which a chunk takes its document's language
const MIN_PROSE_FOR_CHUNK = 30;

const INLINE_CODE = /`[^`\n]*`/g;
const URL = /\bhttps?:\/\/\S+/g;
const HTML_TAG = /<\/?[A-Za-z][^>\n]*>/g;

export interface ScriptCounts {
  han: number;
  kana: number;
  hangul: number;
  latin: number;
  /** Latin letters outside ASCII (é, ü, ñ …) */
  latinExtended: number;
  /** letters of any other script (Cyrillic, Arabic, Thai …) */
  otherLetters: number;
}

/** Text without code: code blocks and raw HTML go by the block model, inline code, URLs and tags by pattern. */
function stripCode(text: string): string {
  return proseText(parseMarkdown(text)).replace(INLINE_CODE, ' ').replace(URL, ' ').replace(HTML_TAG, ' ');
}

/** The prose of a Markdown/text snippet: code fences, inline code, URLs and tags removed. */
export function proseOnly(text: string): string {
  const stripped = stripCode(text);
  return /\p{L}/u.test(stripped) ? stripped : text;
}

function countNonAscii(counts: ScriptCounts, code: number, ch: string): void {
  // the common blocks by range first: the Unicode-property regexes are the slow path
  if (code >= 0x4e00 && code <= 0x9fff) counts.han++;
  else if (code >= 0x3040 && code <= 0x30ff) counts.kana++;
  else if (code >= 0xac00 && code <= 0xd7af) counts.hangul++;
  else if (code >= 0x3000 && code <= 0x303f) return; // CJK punctuation
  else if (/\p{Script=Han}/u.test(ch)) counts.han++;
  else if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) counts.kana++;
  else if (/\p{Script=Hangul}/u.test(ch)) counts.hangul++;
  else if (/\p{Script=Latin}/u.test(ch)) {
    counts.latin++;
    counts.latinExtended++;
  } else if (/\p{L}/u.test(ch)) counts.otherLetters++;
}

export function countScripts(text: string): ScriptCounts {
  const counts: ScriptCounts = { han: 0, kana: 0, hangul: 0, latin: 0, latinExtended: 0, otherLetters: 0 };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) counts.latin++;
      continue;
    }
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length;
    countNonAscii(counts, pair ? text.codePointAt(i)! : code, pair ? text.slice(i, i + 2) : text[i]);
    if (pair) i++;
  }
  return counts;
}

/**
 * 'zh' | 'ja' | 'ko' when CJK characters carry the text. One CJK character counts like a
 * word, about three Latin letters' worth, so a Chinese paragraph full of API names stays 'zh'.
 */
function cjkLanguage(c: ScriptCounts): Lang | undefined {
  const cjk = c.han + c.kana + c.hangul;
  if (cjk === 0) return undefined;
  const share = cjk / (cjk + (c.latin + c.otherLetters) / 3);
  if (share < 0.3) return undefined;
  if (c.hangul >= c.han + c.kana) return 'ko';
  if (c.kana >= 0.1 * (c.han + c.kana)) return 'ja';
  return 'zh';
}

const EN_FUNCTION_WORDS = new Set(
  'the a an of to in is are and or for on with that this it be as by from at you can not your if was which will'.split(' '),
);

function latinFallback(prose: string, c: ScriptCounts): Lang {
  if (c.otherLetters > c.latin) return 'other';
  const words = prose.toLowerCase().match(/\p{L}+/gu) ?? [];
  if (words.length < 8) return 'en';
  let english = 0;
  for (const word of words) if (EN_FUNCTION_WORDS.has(word)) english++;
  // English prose runs at 20-30% function words; another Latin language with accents does not
  return english / words.length < 0.06 && c.latinExtended > 0 ? 'other' : 'en';
}

/** Script heuristics only (no model): 'zh' | 'ja' | 'ko' | 'en' | 'other'. */
export function detectLanguageSync(text: string): string {
  const prose = proseOnly(text);
  const counts = countScripts(prose);
  return cjkLanguage(counts) ?? latinFallback(prose, counts);
}

/**
 * The language of a chunk from a document in `documentLang`: the chunk's own when it has enough
 * prose to judge, else the document's (a chunk of pure code in a Chinese page is Chinese content).
 */
export function detectChunkLanguage(text: string, documentLang: string): string {
  const c = countScripts(stripCode(text));
  const weight = c.latin + c.otherLetters + 3 * (c.han + c.kana + c.hangul);
  return weight < MIN_PROSE_FOR_CHUNK ? documentLang : detectLanguageSync(text);
}

interface LidModel {
  identify(text: string): Promise<{ alpha2: string | null; alpha3: string; possibility: number }>;
}

let model: Promise<LidModel | undefined> | undefined;
let modelLoadMs: number | undefined;

function loadModel(): Promise<LidModel | undefined> {
  // lid.176.ftz and the wasm binary ship inside the package and load from file:// URLs
  model ??= (async () => {
    const started = performance.now();
    try {
      const { getLIDModel } = await import('fasttext.wasm.js');
      const lid = await getLIDModel();
      await lid.load();
      modelLoadMs = performance.now() - started;
      return lid as unknown as LidModel;
    } catch {
      // a broken install must not stop ingest: the script heuristic still answers
      return undefined;
    }
  })();
  return model;
}

/** Milliseconds the fastText model took to load in this process, once it has loaded. */
export function languageModelLoadMs(): number | undefined {
  return modelLoadMs;
}

/**
 * Script heuristics first (CJK share, kana -> ja, Hangul -> ko); for Latin-script and other
 * text with enough words, fastText lid.176 when it is at least FASTTEXT_THRESHOLD sure.
 * Returns ISO 639-1 codes where lid.176 has them ('en', 'fr', 'de' …), else 'other'.
 */
export async function detectLanguage(text: string): Promise<string> {
  const prose = proseOnly(text);
  const counts = countScripts(prose);
  const cjk = cjkLanguage(counts);
  if (cjk) return cjk;
  const fallback = latinFallback(prose, counts);
  const words = prose.match(/\p{L}+/gu)?.length ?? 0;
  if (words < MIN_WORDS_FOR_MODEL || counts.latin + counts.otherLetters < MIN_LETTERS_FOR_MODEL) return fallback;
  const lid = await loadModel();
  if (!lid) return fallback;
  const sample = prose.replace(/\s+/g, ' ').slice(0, MODEL_INPUT_CHARS);
  const best = await lid.identify(sample);
  if (best.possibility < FASTTEXT_THRESHOLD) return fallback;
  const code = best.alpha2 ?? best.alpha3;
  // lid.176 labels wuu/yue etc. for Chinese varieties; the script check above owns CJK
  return code === 'en' || code === 'zh' || code === 'ja' || code === 'ko' ? code : code || 'other';
}
