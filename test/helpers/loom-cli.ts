import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** A test of the built CLI fails (never skips) when the build is missing. */
export function requireBuiltCli(): string {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`corepack pnpm build\` before the tests`);
  return BIN;
}

/** Spawns `node bin.js ...args` without blocking this process (a fake server may answer from here). */
export function loom(args: string[], options: LoomOptions): Promise<LoomResult> {
  return spawnLoom(process.execPath, [requireBuiltCli(), ...args], options, baseEnv(options.env));
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI under a real pseudo-terminal (util-linux `script`), as a person at a terminal
 * would: stderr is a TTY, so progress bars and streamed tokens are on. CI is unset for the
 * child, since the CLI is deliberately quiet there. stdout and stderr arrive merged in `stdout`.
 */
export function loomInTerminal(args: string[], options: LoomOptions): Promise<LoomResult> {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.error || !/util-linux/.test(probe.stdout + probe.stderr)) {
    throw new Error('terminal tests need `script` from util-linux (apt-get install util-linux / bsdutils)');
  }
  const command = [process.execPath, requireBuiltCli(), ...args].map(shellQuote).join(' ');
  const env = baseEnv({ TERM: 'xterm-256color', COLUMNS: '120', ...options.env });
  delete env.CI;
  return spawnLoom('script', ['-qec', command, '/dev/null'], options, env);
}

function spawnLoom(file: string, argv: string[], options: LoomOptions, env: Record<string, string>): Promise<LoomResult> {
  const t0 = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(file, argv, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
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
