import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LoomError } from '@promptloom/core/spec';
import type { Io } from './io.js';

/**
 * The output `--out FILE` writes: the one named `text`, else the only string output.
 * Refused before anything runs would be nicer, but outputs are only known after the run,
 * so the check names what the pipeline did produce.
 */
export function outputForFile(outputs: Record<string, unknown>): { name: string; text: string } {
  if (typeof outputs.text === 'string') return { name: 'text', text: outputs.text };
  const strings = Object.entries(outputs).filter(([, v]) => typeof v === 'string');
  if (strings.length === 1) return { name: strings[0][0], text: strings[0][1] as string };
  throw new LoomError('USAGE', `--out needs an output named "text" or exactly one text output; this pipeline's outputs are: ${Object.keys(outputs).join(', ') || '(none)'}`, {
    hint: 'use --json to get every output, or redirect the printed output with > FILE',
  });
}

/** Writes the chosen output to FILE (folders created) and returns the outputs left to print. */
export function writeOutFile(outputs: Record<string, unknown>, target: string, io: Io): Record<string, unknown> {
  const { name, text } = outputForFile(outputs);
  const path = resolve(io.cwd, target);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
  } catch (error) {
    throw new LoomError('USAGE', `--out: cannot write ${path}: ${(error as Error).message}`);
  }
  io.stderr.write(`wrote ${name} to ${target} (${Buffer.byteLength(text)} bytes)\n`);
  const rest = { ...outputs };
  delete rest[name];
  return rest;
}
