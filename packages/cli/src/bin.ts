#!/usr/bin/env node
import { main } from './main.js';
import { processIo } from './io.js';

// The only place that touches the process: exit code, Ctrl-C and closed pipes.
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
// a service manager stops `loom worker` with SIGTERM: finish running jobs, as for Ctrl-C
process.once('SIGTERM', () => controller.abort(new Error('terminated (SIGTERM)')));
(globalThis as { __loomAbort?: AbortSignal }).__loomAbort = controller.signal;

// `loom search … | head` closes our stdout early; that is the reader's choice, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      controller.abort(new Error('output closed'));
      process.exit(process.exitCode ?? 0);
    }
    throw error;
  });
}

main(process.argv.slice(2), processIo()).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`internal error: ${String(error?.stack ?? error)}\n`); process.exitCode = 2; },
);
