import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom ask` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('ask')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom ask is not implemented yet');
    });
};
