import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom test` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('test')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom test is not implemented yet');
    });
};
