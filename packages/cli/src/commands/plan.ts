import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom plan` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('plan')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom plan is not implemented yet');
    });
};
