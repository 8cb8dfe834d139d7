import type { Command } from 'commander';
import type { Io } from '../io.js';

/**
 * Each command file exports one `register` of this type. Action handlers throw LoomError
 * for failures (main prints them) and call setExit for non-throwing failures (e.g. tests failed).
 */
export type RegisterCommand = (program: Command, io: Io, setExit: (code: number) => void) => void;

/** The abort signal bin.ts wires to Ctrl-C (undefined in tests that call main directly). */
export function interruptSignal(): AbortSignal | undefined {
  return (globalThis as { __loomAbort?: AbortSignal }).__loomAbort;
}

/**
 * Resolves when a long-running command (loom serve, loom mcp) should stop: Ctrl-C or SIGTERM,
 * as bin.ts wires them. Never resolves in tests that call main directly.
 */
export function stopSignal(): Promise<void> {
  const signal = interruptSignal();
  if (!signal) return new Promise<void>(() => undefined);
  return new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
