import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom recipes` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('recipes')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom recipes is not implemented yet');
    });
};
