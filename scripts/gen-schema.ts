// Writes schema/recipe.schema.json from the schema in code (test/recipe/schema-file.test.ts fails when it is stale).
import { writeFileSync } from "node:fs";
import { recipeJsonSchema } from "../src/recipe/schema.ts";

const out = new URL("../schema/recipe.schema.json", import.meta.url);
writeFileSync(out, JSON.stringify(recipeJsonSchema(), null, 2) + "\n");
console.log(`wrote ${out.pathname}`);
