import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom store` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('store')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom store is not implemented yet');
    });
};
