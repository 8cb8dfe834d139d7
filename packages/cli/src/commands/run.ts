import type { RegisterCommand } from './types.js';
import { LoomError } from '@promptloom/core';

// placeholder until the owner of `loom run` lands it
export const register: RegisterCommand = (program) => {
  program
    .command('run')
    .description('(not implemented yet)')
    .allowUnknownOption(true)
    .action(() => {
      throw new LoomError('USAGE', 'loom run is not implemented yet');
    });
};
