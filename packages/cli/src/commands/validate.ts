import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom validate` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('validate')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom validate is not implemented yet');
    });
};
