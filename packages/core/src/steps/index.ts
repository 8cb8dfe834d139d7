// Registers the built-in step kinds. Importing this module has that side effect once.
// Each kind lives in its own file and calls defineStep from ./registry.js.
// (each owner adds one import line here)
import './prompt.js';
import './pipeline.js';
import './retrieve.js';
import './summarize.js';
import './translate.js';
import './answer.js';
export { defineStep, getStep, listSteps } from './registry.js';
