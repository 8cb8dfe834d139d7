import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (`tsc -b` first); the hardening tests drive it as a user would. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = resolve(REPO, 'packages/cli/dist/bin.js');

export interface LoomResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** true when the timeout killed it: a hang */
  timedOut: boolean;
  ms: number;
}

export interface LoomOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** called once the child runs (e.g. to kill it at a chosen moment) */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * A clean environment: nothing from the developer's shell leaks in (LOOM_STORE, keys, a TTY),
 * so a case behaves the same on every machine.
 */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', CI: '1', LOOM_STORE: '', NO_COLOR: '1' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Spawns `node bin.js ...args` without blocking this process (a fake server may answer from here). */
export function loom(args: string[], options: LoomOptions): Promise<LoomResult> {
  const t0 = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: baseEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => { clearTimeout(timer); fail(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => { /* the CLI may exit before reading its input */ });
    child.stdin.end(options.stdin ?? '');
    options.onSpawn?.(child);
  });
}

/** A line such as "    at foo (file.js:1:2)": a stack trace leaked to the user. */
export const STACK_LINE = /^\s+at .+(\(|:\d+:\d+)/m;
