import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom search` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('search')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom search is not implemented yet');
    });
};
