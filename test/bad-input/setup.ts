import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';

/*
 * Inputs that cannot be committed (50 MB files, symlinks, FIFOs, zip bombs, damaged stores,
 * mounts) are made at test time by these steps. A case lists them in expect.json as
 * `"setup": [["name", ...args]]`; paths are relative to the case's own temporary folder.
 */

export interface SetupContext {
  work: string;
  /** a healthy store made once per run (loom ingest of examples/community-docs) */
  templateStore: string;
  /** mount points to unmount when the case ends */
  mounts: string[];
}

/** Thrown when the machine cannot provide what a case needs (e.g. no permission to mount). */
export class Unavailable extends Error {}

type Step = (ctx: SetupContext, ...args: (string | number)[]) => void;

/** Bytes that look random but are the same on every run. */
export function noise(length: number, seed = 'loom'): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < length; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** `index-*.hnsw` -> the one file of the folder that matches. */
function resolveGlob(work: string, rel: string): string {
  if (!rel.includes('*')) return join(work, rel);
  const dir = join(work, dirname(rel));
  const re = new RegExp(`^${rel.split('/').pop()!.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
  const hit = readdirSync(dir).find((f) => re.test(f));
  if (!hit) throw new Error(`setup: nothing matches ${rel}`);
  return join(dir, hit);
}

function write(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** A file of `mb` megabytes written in pieces (never the whole thing in memory). */
function bigFile(path: string, bytes: number, line: string, head = ''): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  const piece = Buffer.from(line.repeat(Math.ceil((1 << 20) / line.length)));
  try {
    if (head) writeSync(fd, head);
    for (let done = head.length; done < bytes; done += piece.length) writeSync(fd, piece, 0, Math.min(piece.length, bytes - done));
  } finally {
    closeSync(fd);
  }
}

/** A zip archive holding one file of `bytes` zero bytes, deflated: ~1000x smaller than what it expands to. */
function zipBomb(bytes: number): Buffer {
  const data = deflateRawSync(Buffer.alloc(bytes), { level: 9 });
  const name = Buffer.from('big.txt');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(bytes, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(bytes, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

export const STEPS: Record<string, Step> = {
  /** a copy of the shared healthy store */
  store: (ctx, dir) => cpSync(ctx.templateStore, join(ctx.work, String(dir)), { recursive: true }),
  symlink: (ctx, path, target) => {
    mkdirSync(dirname(join(ctx.work, String(path))), { recursive: true });
    symlinkSync(String(target), join(ctx.work, String(path)));
  },
  fifo: (ctx, path) => {
    mkdirSync(dirname(join(ctx.work, String(path))), { recursive: true });
    execFileSync('mkfifo', [join(ctx.work, String(path))]);
  },
  /** a pipeline file of `bytes` bytes: valid YAML (one long block of descriptions) */
  'big-yaml': (ctx, path, bytes) => bigFile(join(ctx.work, String(path)), Number(bytes), '# padding padding padding padding padding padding padding\n'),
  'big-text': (ctx, path, bytes) => bigFile(join(ctx.work, String(path)), Number(bytes), 'all work and no play makes a dull document. '),
  /** `depth` nested flow lists: [[[[...]]]] inside an otherwise fine pipeline */
  'deep-flow': (ctx, path, depth) => {
    const n = Number(depth);
    write(join(ctx.work, String(path)), `version: 1\nname: deep\ninputs:\n  q: { type: array, default: ${'['.repeat(n)}${']'.repeat(n)} }\nsteps:\n  - id: s\n    summarize: { text: hi }\n`);
  },
  /** `depth` nested block mappings, each indented one more space */
  'deep-block': (ctx, path, depth) => {
    let text = 'version: 1\nname: deep\nsteps:\n  - id: s\n    summarize: { text: hi }\ninputs:\n  q:\n    type: object\n    default:\n';
    for (let i = 0; i < Number(depth); i++) text += `${' '.repeat(i + 6)}k:\n`;
    write(join(ctx.work, String(path)), text);
  },
  'many-steps': (ctx, path, count) => {
    let text = 'version: 1\nname: many\nsteps:\n';
    for (let i = 0; i < Number(count); i++) text += `  - id: s${i}\n    summarize: { text: x }\n`;
    write(join(ctx.work, String(path)), text);
  },
  /** a Markdown page whose code fence is never closed, `bytes` long */
  'unclosed-fence': (ctx, path, bytes) => bigFile(join(ctx.work, String(path)), Number(bytes), 'generated_line_of_code(1, 2, 3);\n', '# Dump\n\n```\n'),
  'nested-html': (ctx, path, depth) => {
    const n = Number(depth);
    write(join(ctx.work, String(path)), `<html><head><title>Nested</title></head><body>${'<div>'.repeat(n)}The bottom of a very deep page.${'</div>'.repeat(n)}</body></html>`);
  },
  'deep-json': (ctx, path, depth) => {
    const n = Number(depth);
    write(join(ctx.work, String(path)), `{"text": "a document with deeply nested metadata", "meta": ${'['.repeat(n)}${']'.repeat(n)}}\n`);
  },
  'zip-bomb': (ctx, path, bytes) => write(join(ctx.work, String(path)), zipBomb(Number(bytes))),
  'gz-bomb': (ctx, path, bytes) => write(join(ctx.work, String(path)), gzipSync(Buffer.alloc(Number(bytes)), { level: 9 })),
  noise: (ctx, path, bytes) => write(join(ctx.work, String(path)), noise(Number(bytes))),
  truncate: (ctx, path, bytes) => truncateSync(resolveGlob(ctx.work, String(path)), Number(bytes)),
  /** overwrites `pages` 4 KB pages from page `first` on: the header stays valid, the content does not */
  'damage-pages': (ctx, path, first, pages) => {
    const fd = openSync(resolveGlob(ctx.work, String(path)), 'r+');
    try {
      writeSync(fd, noise(4096 * Number(pages), 'pages'), 0, 4096 * Number(pages), 4096 * Number(first));
    } finally {
      closeSync(fd);
    }
  },
  /** a writer lock: held by a live process (this test runner), a dead pid, or half-written */
  lock: (ctx, dir, kind) => {
    const pid = kind === 'live' ? process.pid : 2 ** 22 + 17; // above pid_max on Linux: never alive
    const body = kind === 'garbage' ? '{"pid": 12' : JSON.stringify({ pid, host: hostname(), since: Date.now() - 5000, what: 'ingest' });
    write(join(ctx.work, String(dir), 'store.lock'), body);
  },
  /** a tmpfs of `size` (e.g. "512k"); only where this process may mount (root with CAP_SYS_ADMIN) */
  tmpfs: (ctx, dir, size) => {
    const path = join(ctx.work, String(dir));
    mkdirSync(path, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'ignore' });
    } catch {
      throw new Unavailable('cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)');
    }
    ctx.mounts.push(path);
  },
  /** grows a tmpfs (frees space on a full one) */
  resize: (ctx, dir, size) => execFileSync('mount', ['-o', `remount,size=${size}`, join(ctx.work, String(dir))], { stdio: 'ignore' }),
  /** remounts a tmpfs read-only: unlike chmod, this stops root too */
  readonly: (ctx, dir) => execFileSync('mount', ['-o', 'remount,ro', join(ctx.work, String(dir))], { stdio: 'ignore' }),
};

export function runSetup(ctx: SetupContext, steps: (string | number)[][]): void {
  for (const [name, ...args] of steps) {
    const step = STEPS[String(name)];
    if (!step) throw new Error(`unknown setup step ${String(name)}`);
    step(ctx, ...args);
  }
}

export function unmountAll(ctx: SetupContext): void {
  for (const path of ctx.mounts.reverse()) {
    try {
      execFileSync('mount', ['-o', 'remount,rw', path], { stdio: 'ignore' });
    } catch { /* was not read-only */ }
    execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  }
  ctx.mounts.length = 0;
}
