import { LoomError } from '../errors.js';
import type { StepDefinition } from '../engine/types.js';

const registry = new Map<string, StepDefinition<any, any>>();

/**
 * Registers a step kind. Built-in kinds go through this same function, so a user's kind
 * is validated, planned and run exactly like `retrieve` or `answer`.
 */
export function defineStep<P, O>(definition: StepDefinition<P, O>): StepDefinition<P, O> {
  if (!/^[a-z][a-z0-9_]*$/.test(definition.kind)) {
    throw new LoomError('CONFIG_INVALID', `step kind "${definition.kind}" must match [a-z][a-z0-9_]*`);
  }
  registry.set(definition.kind, definition as StepDefinition<any, any>);
  return definition;
}

export function getStep(kind: string): StepDefinition<any, any> | undefined {
  return registry.get(kind);
}

export function listSteps(): StepDefinition<any, any>[] {
  return [...registry.values()];
}
