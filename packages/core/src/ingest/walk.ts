import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { LoomError } from '../errors.js';

export const SUPPORTED_EXTENSIONS = new Set(['.md', '.markdown', '.txt', '.html', '.htm', '.json', '.jsonl']);
export const IGNORE_FILE = '.loomignore';
const SKIPPED_DIRS = new Set(['node_modules']);

export interface WalkedFile {
  /** absolute path */
  abs: string;
  /** relative to the naming root, forward slashes */
  name: string;
  size: number;
  mtimeMs: number;
}

export interface WalkResult {
  files: WalkedFile[];
  /** the directory names are relative to */
  root: string;
  /** directories given as arguments (for --prune) */
  dirs: string[];
  warnings: { file: string; reason: string }[];
}

interface Rules {
  base: string;
  ig: Ignore;
}

/**
 * The directory source names are relative to: the folder itself for one folder, the file's folder
 * for one file, and the deepest common folder when several paths are given (so `en/` and `zh/`
 * keep their prefixes).
 */
export function namingRoot(paths: { abs: string; isDir: boolean }[]): string {
  const dirs = paths.map((p) => (p.isDir ? p.abs : dirname(p.abs)));
  let common = dirs[0].split(sep);
  for (const d of dirs.slice(1)) {
    const parts = d.split(sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}

function toName(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}

function loadRules(dir: string): Rules | undefined {
  const file = join(dir, IGNORE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return { base: dir, ig: ignore().add(readFileSync(file, 'utf8')) };
  } catch (error) {
    throw new LoomError('INGEST_BAD_FILE', `cannot read ${file}: ${(error as Error).message}`, { file });
  }
}

function ignored(rules: Rules[], abs: string, isDir: boolean): boolean {
  for (const r of rules) {
    const rel = relative(r.base, abs).split(sep).join('/');
    if (rel && !rel.startsWith('..') && r.ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/**
 * Files to ingest under the given paths: supported extensions only; hidden entries, node_modules
 * and `.loomignore` matches (gitignore syntax, one file per folder, applying below it) skipped;
 * symlinks followed, but each real directory visited once so a link loop cannot hang.
 */
export function walk(paths: string[], cwd = process.cwd()): WalkResult {
  if (paths.length === 0) throw new LoomError('USAGE', 'no paths to ingest', { hint: 'loom ingest PATH... (files or folders)' });
  const args = paths.map((p) => {
    const abs = resolve(cwd, p);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch {
      throw new LoomError('INGEST_BAD_FILE', `${p}: no such file or folder`, { file: p, hint: 'check the path; it is resolved from the current directory' });
    }
    return { abs, isDir: st.isDirectory(), st };
  });
  const root = namingRoot(args);
  const out: WalkResult = { files: [], root, dirs: args.filter((a) => a.isDir).map((a) => a.abs), warnings: [] };
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const realRoots = args.filter((a) => a.isDir).map((a) => realpathSync(a.abs));
  const add = (abs: string, st: Stats) => {
    if (seenFiles.has(abs)) return;
    seenFiles.add(abs);
    out.files.push({ abs, name: toName(root, abs), size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
  };
  for (const a of args) {
    if (!a.isDir) {
      if (SUPPORTED_EXTENSIONS.has(extname(a.abs).toLowerCase())) add(a.abs, a.st);
      else out.warnings.push({ file: toName(root, a.abs), reason: `unsupported file type (${[...SUPPORTED_EXTENSIONS].join(' ')})` });
      continue;
    }
    walkDir(a.abs, [], { root, out, seenDirs, add, realRoots });
  }
  out.files.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return out;
}

interface WalkState {
  root: string;
  out: WalkResult;
  seenDirs: Set<string>;
  /** real paths of the folders given: a link inside them may not lead out of all of them */
  realRoots: string[];
  add: (abs: string, st: Stats) => void;
}

/**
 * A symlink in a folder someone else wrote (a cloned docs repo) could point at ~/.ssh or
 * /etc: what it leads to is ingested only when it is inside one of the folders given.
 */
function leadsOutside(abs: string, s: WalkState): boolean {
  let link: Stats;
  try {
    link = lstatSync(abs);
  } catch {
    return false;
  }
  if (!link.isSymbolicLink()) return false;
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return false; // broken: reported as such by the caller
  }
  return !s.realRoots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));
}

function walkDir(dir: string, parentRules: Rules[], s: WalkState): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return;
  }
  if (s.seenDirs.has(real)) return;
  s.seenDirs.add(real);
  const own = loadRules(dir);
  const rules = own ? [...parentRules, own] : parentRules;
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (error) {
    s.out.warnings.push({ file: toName(s.root, dir) || '.', reason: `unreadable folder (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
    return;
  }
  for (const name of entries) {
    if (name.startsWith('.') || SKIPPED_DIRS.has(name)) continue;
    const abs = join(dir, name);
    let st: Stats;
    try {
      st = statSync(abs); // follows symlinks
    } catch {
      s.out.warnings.push({ file: toName(s.root, abs), reason: 'broken symbolic link' });
      continue;
    }
    if (ignored(rules, abs, st.isDirectory())) continue;
    if (leadsOutside(abs, s)) {
      s.out.warnings.push({ file: toName(s.root, abs), reason: `symbolic link to ${st.isDirectory() ? 'a folder' : 'a file'} outside the ingested folders` });
      continue;
    }
    if (st.isDirectory()) walkDir(abs, rules, s);
    else if (!SUPPORTED_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    else if (st.isFile()) s.add(abs, st);
    // a FIFO or device named .md would block or never end: never opened
    else s.out.warnings.push({ file: toName(s.root, abs), reason: 'not a regular file (a pipe, socket or device)' });
  }
}
