#!/usr/bin/env node
import { main } from './main.js';
import { processIo } from './io.js';

// The only place that touches the process: exit code and Ctrl-C.
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
(globalThis as { __loomAbort?: AbortSignal }).__loomAbort = controller.signal;

main(process.argv.slice(2), processIo()).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`internal error: ${String(error?.stack ?? error)}\n`); process.exitCode = 2; },
);
