// @promptloom/recipes: shared, tested pipeline files (recipes/*.yaml) and how to find them.
export { RECIPES_DIR, recipeSearchPath, recipeDirs, userRecipesDir, findRecipe, listRecipes, recipeRefResolver, describeFile } from './lookup.js';
export type { RecipeDir, RecipeInfo, RecipeWhere, LookupOptions } from './lookup.js';
