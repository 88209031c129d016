// Library entry: re-exports only (no logic here).
export * from "./core/errors.ts";
export * from "./core/events.ts";
export * from "./core/platform.ts";
export { loadRecipe, type LoadedRecipe } from "./recipe/load.ts";
export { RecipeSchema, recipeJsonSchema, type Recipe } from "./recipe/schema.ts";
export { makePlan, choosePlatform, type Plan, type PlanArtifact } from "./plan/plan.ts";
export { main } from "./cli/main.ts";
