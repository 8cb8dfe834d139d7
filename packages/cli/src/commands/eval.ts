import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom eval` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('eval')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom eval is not implemented yet');
    });
};
