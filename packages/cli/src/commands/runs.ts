import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom runs` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('runs')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom runs is not implemented yet');
    });
};
