import { Command, CommanderError } from 'commander';
import { LoomError } from '@promptloom/core/spec';
import { type Io, reportError } from './io.js';
import { stopAllProgress } from './progress.js';
import { COMMANDS } from './commands/index.js';
import { VERSION } from './version.js';

/**
 * Runs the CLI on argv (without node and script) and returns the exit code.
 * Only bin.ts touches process.exitCode; everything here takes its streams from `io`.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug');
  const program = new Command('loom')
    .description('promptloom: prompt workflows in YAML over your community docs')
    .version(VERSION, '-V, --version')
    .option('--debug', 'show stack traces for errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', `
Examples:
  loom ingest examples/community-docs          index docs into ./.loom (offline)
  loom ask "How do I retry a failed step?"     answer with citations
  loom search "向量索引" --lang zh              hybrid search
  loom validate pipeline.yaml                  check a pipeline, compiler-style errors
  loom plan pipeline.yaml                      show execution waves and model calls
  loom run pipeline.yaml --input question=...  run a pipeline
  loom recipes list                            shared workflows you can run or reuse`);

  let exitCode = 0;
  const setExit = (code: number) => { exitCode = Math.max(exitCode, code); };
  for (const register of COMMANDS) register(program, io, setExit);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 1; // commander already printed its message
    }
    return reportError(error, io, debug);
  } finally {
    stopAllProgress();
  }
}

export type { Io };
export { LoomError };
