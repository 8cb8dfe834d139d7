import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom ingest` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('ingest')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom ingest is not implemented yet');
    });
};
