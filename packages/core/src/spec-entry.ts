// @promptloom/core/spec: the pipeline language and the error model without the engine,
// the store or LangChain, so `loom --help` and `loom validate` start fast.
export { LoomError, isLoomError, exitCodeFor, toLoomError, ERROR_CODES } from './errors.js';
export type { ErrorCode, Diagnostic, LoomErrorOptions } from './errors.js';
export type { PipelineSpec, StepSpec, InputSpec, ModelConfig, RetrySpec, TestCase, TestAssertion, LoadedPipeline } from './spec/types.js';
export { loadPipeline, validatePipeline } from './spec/load.js';
export type { LoadOptions, ValidationResult } from './spec/load.js';
export type { PipelineRefResolver } from './spec/check-use.js';
export { formatDiagnostics, DIAGNOSTIC_CODES } from './spec/diagnostics.js';
export { parseInputs, checkInputs } from './spec/inputs.js';
export { pipelineJsonSchema } from './spec/json-schema.js';
// dependency-free; the CLI's error printer redacts keys with it
export { redact } from './providers/redact.js';
// where things live (no store code loaded): the one store rule, the recipe path
export { recipeSearchPath, defaultRecipeDirs, userRecipesDir, shippedRecipesDir } from './locate/recipes.js';
export type { RecipeDir, RecipeWhere, RecipePathOptions } from './locate/recipes.js';
export { locateStore, requireStore, describeStore, storeNotFound, storeExists } from './locate/store.js';
export type { StoreLocation, StoreSettingSource, LocateStoreInput } from './locate/store.js';
