import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** Folder holding the shipped recipe YAML files. */
export const RECIPES_DIR: string = join(dirname(fileURLToPath(import.meta.url)), '..', 'recipes');
