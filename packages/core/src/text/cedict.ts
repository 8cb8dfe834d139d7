/**
 * A compact CC-CEDICT for query expansion, derived from the cc-cedict package's data file.
 *
 * Importing the package costs ~3 s and ~600 MB (it indexes every entry into typed arrays), and
 * even JSON-parsing its 11 MB data file and cleaning the glosses takes about a second. So the
 * first use derives two small tab-separated files (headword -> glosses, gloss -> headwords),
 * writes them to a cache directory (LOOM_CACHE_DIR, else $XDG_CACHE_HOME/promptloom, else
 * ~/.cache/promptloom), and every later process loads only the direction it needs, in tens of
 * milliseconds. Nothing is downloaded. If the cache cannot be written, the derived data lives
 * in memory for the process. Figures are in docs/text.md.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStopword } from './segment.js';

const FORMAT = 'v2';
const MAX_GLOSS_WORDS = 3;
const MAX_HEADWORDS_PER_GLOSS = 6;
// senses that are cross-references or grammar notes, not meanings
const SKIP_SENSE = /^(?:(?:old |archaic |erhua |japanese )?variant of|see |see also|used in|surname|abbr\.? (?:for|of)|CL:|classifier for|also pr|pr\.|also written|also called|(?:a )?measure word|radical|name of|.*\bcharacter\b)/i;
const LEADING = /^(?:to|a|an|the|be|one's|oneself)\s+/i;
const TECH_TAG = /\((?:computing|programming|software|Internet|in software|computer[^)]*)\)/i;

export type Direction = 'zh' | 'en';

/** A loaded direction: key -> '|'-joined values (split on use: most keys are never read). */
export type CompactMap = Map<string, string>;

type RawEntry = [string, string, string, string | string[], ...unknown[]];

const loaded: Partial<Record<Direction, { map: CompactMap; ms: number; source: 'cache' | 'package' }>> = {};

function cedictDataPath(): string {
  // the package exports only its ESM entry; the data file sits beside it
  return fileURLToPath(new URL('../data/all.js', import.meta.resolve('cc-cedict')));
}

export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.LOOM_CACHE_DIR) return env.LOOM_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'promptloom');
}

/** Short, useful glosses of one sense ("to calculate; to compute" -> calculate, compute). */
export function cleanGlosses(sense: string): { glosses: string[]; tech: boolean } {
  if (SKIP_SENSE.test(sense.trim())) return { glosses: [], tech: false };
  const tech = TECH_TAG.test(sense);
  const glosses: string[] = [];
  for (const part of sense.split(';')) {
    let gloss = part.replace(/\([^)]*\)/g, ' ').replace(/\[[^\]]*\]/g, ' ').replace(/\b(?:sth|sb)\b/g, ' ');
    gloss = gloss.replace(/\s+/g, ' ').trim();
    while (LEADING.test(gloss)) gloss = gloss.replace(LEADING, '');
    gloss = gloss.replace(/[.,!?]+$/, '').toLowerCase();
    if (!/^[a-z][a-z' -]*[a-z]$/.test(gloss)) continue;
    if (gloss.split(' ').length > MAX_GLOSS_WORDS || isStopword(gloss)) continue;
    glosses.push(gloss);
  }
  return { glosses, tech };
}

function entryGlosses(english: string | string[]): { glosses: string[]; techCount: number } {
  const tech: string[] = [];
  const plain: string[] = [];
  for (const sense of typeof english === 'string' ? [english] : english) {
    const { glosses, tech: isTech } = cleanGlosses(sense);
    (isTech ? tech : plain).push(...glosses);
  }
  // documentation wants the computing sense first (缓存 -> cache before buffer memory)
  return { glosses: [...new Set([...tech, ...plain])], techCount: new Set(tech).size };
}

interface Candidate { word: string; rank: number; senses: number; tech: boolean }

/** Both directions as text lines ("key\tv1|v2"), from the package's data file. */
function derive(): Record<Direction, string> {
  const source = readFileSync(cedictDataPath(), 'utf8');
  const entries = (JSON.parse(source.slice(source.indexOf('{'))) as { all: RawEntry[] }).all;
  const zh = new Map<string, string[]>();
  const reverse = new Map<string, Candidate[]>();
  for (const [traditional, simplified, , english] of entries) {
    const { glosses, techCount } = entryGlosses(english);
    if (glosses.length === 0) continue;
    for (const word of traditional === simplified ? [simplified] : [simplified, traditional]) {
      const known = zh.get(word);
      zh.set(word, known ? [...new Set([...known, ...glosses])] : glosses);
    }
    if (simplified.length < 2) continue; // single characters are too ambiguous as translations
    glosses.forEach((gloss, rank) => {
      const list = reverse.get(gloss) ?? [];
      list.push({ word: simplified, rank, senses: glosses.length, tech: rank < techCount });
      reverse.set(gloss, list);
    });
  }
  const zhLines: string[] = [];
  for (const [word, glosses] of zh) zhLines.push(`${word}\t${glosses.slice(0, 6).join('|')}`);
  const enLines: string[] = [];
  for (const [gloss, candidates] of reverse) {
    // CC-CEDICT has no frequencies: a computing sense first (cache -> 缓存), then a headword whose
    // main sense this is, two characters long (the commonest word shape), with few other senses
    const shape = (c: Candidate) => (c.word.length === 2 ? 0 : 1);
    candidates.sort((a, b) => Number(b.tech) - Number(a.tech) || a.rank - b.rank || shape(a) - shape(b) || a.senses - b.senses);
    const words = [...new Set(candidates.map((c) => c.word))].slice(0, MAX_HEADWORDS_PER_GLOSS);
    enLines.push(`${gloss}\t${words.join('|')}`);
  }
  return { zh: zhLines.join('\n'), en: enLines.join('\n') };
}

function parse(text: string): CompactMap {
  const map: CompactMap = new Map();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const tab = text.indexOf('\t', start);
    if (tab > start && tab < end) map.set(text.slice(start, tab), text.slice(tab + 1, end));
    start = end + 1;
  }
  return map;
}

function cacheFile(direction: Direction): string {
  const data = statSync(cedictDataPath());
  return join(cacheDir(), `cedict-${FORMAT}-${data.size}-${Math.floor(data.mtimeMs)}-${direction}.tsv`);
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Removes cache files of older formats or package versions, so upgrades do not pile up 6 MB each. */
function removeStale(keep: string[]): void {
  const names = new Set(keep.map((f) => basename(f)));
  for (const name of readdirSync(cacheDir())) {
    if (/^cedict-.*\.tsv$/.test(name) && !names.has(name)) unlinkSync(join(cacheDir(), name));
  }
}

/** The dictionary in one direction, from the cache file, else derived from the package (and cached). */
export function loadDirection(direction: Direction): CompactMap {
  const known = loaded[direction];
  if (known) return known.map;
  const started = performance.now();
  let file: string | undefined;
  try {
    file = cacheFile(direction);
    const map = parse(readFileSync(file, 'utf8'));
    loaded[direction] = { map, ms: performance.now() - started, source: 'cache' };
    return map;
  } catch {
    // no cache yet (or unreadable): derive below
  }
  const derived = derive();
  if (file) {
    try {
      mkdirSync(cacheDir(), { recursive: true });
      for (const d of ['zh', 'en'] as const) writeAtomically(cacheFile(d), derived[d]);
      removeStale([cacheFile('zh'), cacheFile('en')]);
    } catch {
      // a read-only home: keep the derived data in memory only
    }
  }
  const ms = performance.now() - started;
  for (const d of ['zh', 'en'] as const) loaded[d] ??= { map: parse(derived[d]), ms, source: 'package' };
  return loaded[direction]!.map;
}

/** How each loaded direction was obtained and how long it took (ms), for docs and benchmarks. */
export function dictionaryLoadInfo(): Partial<Record<Direction, { ms: number; source: 'cache' | 'package'; entries: number }>> {
  const out: Partial<Record<Direction, { ms: number; source: 'cache' | 'package'; entries: number }>> = {};
  for (const d of ['zh', 'en'] as const) {
    const l = loaded[d];
    if (l) out[d] = { ms: l.ms, source: l.source, entries: l.map.size };
  }
  return out;
}

/** Forgets the loaded maps (tests measure a fresh load with it). */
export function resetDictionary(): void {
  delete loaded.zh;
  delete loaded.en;
}
