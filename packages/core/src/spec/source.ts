import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from '../errors.js';

/** Pipeline files above this size are refused before parsing. */
export const MAX_SPEC_BYTES = 1024 * 1024;

export interface SpecSource {
  /** absolute path, when there is a file */
  file?: string;
  /** the file name as the user gave it, for messages */
  name?: string;
  dir: string;
  /** decoded text, BOM stripped; '' when the file could not be read */
  text: string;
  /** a problem that stops everything (missing file, too large, bad encoding) */
  fatal?: Diagnostic;
}

/** A path when it ends in .yaml/.yml and holds no newline; anything else is YAML text. */
export function looksLikePath(pathOrText: string): boolean {
  return /\.ya?ml$/i.test(pathOrText.trim()) && !pathOrText.includes('\n');
}

export function readSpecSource(pathOrText: string, options: { file?: string; baseDir?: string } = {}): SpecSource {
  if (looksLikePath(pathOrText) && (existsSync(pathOrText) || !looksLikeYamlText(pathOrText))) {
    const name = pathOrText.trim();
    return { ...readFile(resolve(options.baseDir ?? process.cwd(), name)), name };
  }
  const name = options.file;
  const file = name === undefined ? undefined : resolve(options.baseDir ?? process.cwd(), name);
  const dir = options.baseDir ? resolve(options.baseDir) : file ? dirname(file) : process.cwd();
  const bytes = Buffer.byteLength(pathOrText, 'utf8');
  if (bytes > MAX_SPEC_BYTES) return { file, name, dir, text: '', fatal: tooLarge(bytes) };
  return { file, name, dir, text: stripBom(pathOrText) };
}

// "name: x.yaml" ends in .yaml too; a colon followed by a space marks YAML text
function looksLikeYamlText(s: string): boolean {
  return /:\s/.test(s);
}

function readFile(file: string): SpecSource {
  const dir = dirname(file);
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { file, dir, text: '', fatal: notFound(file, 'not a file') };
    size = stat.size;
  } catch {
    return { file, dir, text: '', fatal: notFound(file, 'no such file') };
  }
  if (size > MAX_SPEC_BYTES) return { file, dir, text: '', fatal: tooLarge(size) };
  const buffer = readFileSync(file);
  const decoded = decodeUtf8(buffer);
  if (typeof decoded !== 'string') return { file, dir, text: '', fatal: decoded };
  return { file, dir, text: decoded };
}

function notFound(file: string, what: string): Diagnostic {
  return {
    code: 'file-not-found',
    message: `${what}: ${file}`,
    severity: 'error',
    hint: 'check the path; pipeline files end in .yaml or .yml',
  };
}

function tooLarge(bytes: number): Diagnostic {
  return {
    code: 'too-large',
    message: `pipeline file is ${(bytes / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_SPEC_BYTES / 1024 / 1024} MB`,
    severity: 'error',
    hint: 'keep documents in the store (loom ingest) and prompts in separate files, not in the pipeline',
  };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** UTF-8 text with the BOM stripped, or a diagnostic positioned at the first bad byte. */
export function decodeUtf8(buffer: Uint8Array): string | Diagnostic {
  if ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff)) {
    return {
      code: 'invalid-encoding',
      message: 'the file is UTF-16; pipeline files must be UTF-8',
      severity: 'error',
      line: 1,
      col: 1,
      hint: 'save the file as UTF-8 (most editors: "Save with encoding")',
    };
  }
  try {
    return stripBom(new TextDecoder('utf-8', { fatal: true }).decode(buffer));
  } catch {
    const bad = firstInvalidByte(buffer);
    const before = new TextDecoder('utf-8').decode(buffer.subarray(0, bad));
    const lines = stripBom(before).split('\n');
    return {
      code: 'invalid-encoding',
      message: `the file is not valid UTF-8 (byte 0x${buffer[bad].toString(16).padStart(2, '0')} at offset ${bad})`,
      severity: 'error',
      line: lines.length,
      col: lines[lines.length - 1].length + 1,
      hint: 'save the file as UTF-8; files from Windows tools are often in GBK or Latin-1',
    };
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}
