import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { LoomError } from '@promptloom/core/spec';
import type { Io } from './io.js';

/**
 * Inputs from the command line, the same for `loom run`, `loom recipes run` and `loom test`:
 * `--inputs FILE|-` (a JSON object) overlaid with each `--input name=value`, where a value
 * `@path` is the text of that file (.html/.htm converted to text), `@-` is standard input
 * (converted too when it is a whole HTML document),
 * and `@@x` is the literal `@x`.
 */
export interface InputFlags {
  input: string[];
  inputs?: string;
}

/** Bigger than any document a prompt can hold; a mistaken `@/dev/sda` should not hang. */
const MAX_INPUT_BYTES = 20 * 1024 * 1024;

export async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Standard input may be read once per command: by --inputs - or by one --input name=@-. */
class StdinOnce {
  private usedBy?: string;
  constructor(private readonly io: Io) {}

  read(user: string): Promise<string> {
    if (this.usedBy) {
      throw new LoomError('USAGE', `${user} reads standard input, which ${this.usedBy} already reads`, {
        hint: 'only one of --inputs - and --input name=@- can use standard input; put the other in a file',
      });
    }
    this.usedBy = user;
    return readStdin(this.io);
  }
}

function readTextFile(path: string, label: string, wanted = 'a Markdown, text or HTML file'): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new LoomError('INPUT_INVALID', `${label}: ${path} is a folder, not a file`);
    size = st.size;
  } catch (error) {
    if (error instanceof LoomError) throw error;
    throw new LoomError('INPUT_INVALID', `${label}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {
      hint: 'the path is relative to the working directory; to pass text starting with @, write @@',
    });
  }
  if (size > MAX_INPUT_BYTES) {
    throw new LoomError('INPUT_INVALID', `${label}: ${path} is ${(size / 1024 / 1024).toFixed(1)} MB; inputs read from files may be at most ${MAX_INPUT_BYTES / 1024 / 1024} MB`);
  }
  const bytes = readFileSync(path);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new LoomError('INPUT_INVALID', `${label}: ${path} is UTF-16 text`, { hint: `save it as UTF-8 (${wanted})` });
  }
  if (bytes.includes(0)) {
    throw new LoomError('INPUT_INVALID', `${label}: ${path} looks like a binary file, not text`, { hint: `give ${wanted}` });
  }
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** Saved web pages become Markdown-like text: headings as '#' lines, scripts and styles dropped. */
async function htmlToText(html: string): Promise<string> {
  const { htmlToMarkdownish } = await import('@promptloom/core');
  const { title, text } = htmlToMarkdownish(html);
  return title && !text.startsWith('#') && !text.includes(title) ? `# ${title}\n\n${text}` : text;
}

/** Standard input has no file name to go by: a whole HTML document (a saved page) is recognised by its start. */
function looksLikeHtml(text: string): boolean {
  return /^\s*(<!doctype html|<html[\s>])/i.test(text);
}

async function inputValue(name: string, value: string, io: Io, stdin: StdinOnce): Promise<string> {
  if (value.startsWith('@@')) return value.slice(1);
  if (!value.startsWith('@') || value.length === 1) return value;
  const label = `--input ${name}=${value}`;
  if (value === '@-') {
    const text = await stdin.read(label);
    return looksLikeHtml(text) ? htmlToText(text) : text;
  }
  const path = resolve(io.cwd, value.slice(1));
  const text = readTextFile(path, label);
  return ['.html', '.htm'].includes(extname(path).toLowerCase()) ? htmlToText(text) : text;
}

async function readInputsFile(target: string, io: Io, stdin: StdinOnce): Promise<Record<string, unknown>> {
  const where = target === '-' ? 'standard input' : target;
  const text = target === '-' ? await stdin.read('--inputs -') : readTextFile(resolve(io.cwd, target), `--inputs ${target}`, 'a JSON object in a UTF-8 file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LoomError('INPUT_INVALID', `--inputs ${where} is not valid JSON: ${(error as Error).message}`, { hint: 'give a JSON object, e.g. {"question": "..."}' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LoomError('INPUT_INVALID', `--inputs ${where} must hold a JSON object of inputs`, { hint: 'e.g. {"question": "..."}' });
  }
  return parsed as Record<string, unknown>;
}

/** --inputs FILE|- overlaid with every --input name=value (values as strings; the pipeline's types convert them). */
export async function readInputs(flags: InputFlags, io: Io): Promise<Record<string, unknown>> {
  const stdin = new StdinOnce(io);
  const inputs: Record<string, unknown> = flags.inputs ? await readInputsFile(flags.inputs, io, stdin) : {};
  for (const pair of flags.input ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new LoomError('USAGE', `--input "${pair}" must be name=value`, { hint: 'e.g. --input question="How do I retry?" or --input text=@article.md' });
    }
    const name = pair.slice(0, eq);
    // an own property even for "__proto__", so it is reported as an unknown input like any other name
    Object.defineProperty(inputs, name, { value: await inputValue(name, pair.slice(eq + 1), io, stdin), enumerable: true, writable: true, configurable: true });
  }
  return inputs;
}

/** For commander: collects a repeatable option into a list. */
export const collectPairs = (value: string, previous: string[]): string[] => [...previous, value];
