// Using @promptloom/core from TypeScript (filled in as the library API lands).
import { LoomError } from '@promptloom/core';
console.log(typeof LoomError);
