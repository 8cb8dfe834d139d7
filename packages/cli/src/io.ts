import type { Readable, Writable } from 'node:stream';
import { LoomError, exitCodeFor, redact, toLoomError } from '@promptloom/core/spec';

/** Streams and environment a command may use; tests pass their own. */
export interface Io {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Progress bars and streamed tokens only on an interactive terminal, never in pipes or CI. */
export function isInteractive(io: Io): boolean {
  return Boolean(io.stderr.isTTY) && !io.env.CI && io.env.TERM !== 'dumb';
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * The one place where errors become text for a person: a message, the file, a hint,
 * no stack unless --debug. Returns the exit code.
 */
export function reportError(error: unknown, io: Io, debug: boolean): 1 | 2 {
  const err = toLoomError(error);
  const lines: string[] = [];
  if (err.code === 'SPEC_INVALID' && err.diagnostics.length > 0 && err.message.includes('\n')) {
    lines.push(err.message);
  } else {
    const where = err.file && !err.message.includes(err.file) ? `${err.file}: ` : '';
    const model = err.model && !err.message.includes(err.model) ? ` (model ${err.model})` : '';
    const step = err.stepId ? `step "${err.stepId}"${model}: ` : '';
    lines.push(`error: ${where}${step}${err.message}`);
  }
  if (err.hint) lines.push(`hint: ${err.hint}`);
  if (debug) {
    lines.push(`[${err.code}]`);
    let cur: unknown = err;
    while (cur instanceof Error) {
      lines.push(cur.stack ?? String(cur));
      cur = (cur as Error & { cause?: unknown }).cause;
    }
  }
  // the last line of defence: whatever an error carries (a server's body, a cause), no key reaches the terminal
  io.stderr.write(redact(lines.join('\n'), io.env) + '\n');
  return exitCodeFor(err);
}

export { LoomError };
