import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom init` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('init')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom init is not implemented yet');
    });
};
