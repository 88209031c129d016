// Writes schema/recipe.schema.json and docs/recipe-reference.md from the schema in code
// (test/recipe/schema-file.test.ts fails when either is stale).
import { mkdirSync, writeFileSync } from "node:fs";
import { recipeJsonSchema } from "../src/recipe/schema.ts";
import { recipeReferenceMarkdown } from "../src/recipe/reference.ts";

const schema = new URL("../schema/recipe.schema.json", import.meta.url);
writeFileSync(schema, JSON.stringify(recipeJsonSchema(), null, 2) + "\n");
mkdirSync(new URL("../docs/", import.meta.url), { recursive: true });
const ref = new URL("../docs/recipe-reference.md", import.meta.url);
writeFileSync(ref, recipeReferenceMarkdown());
console.log(`wrote ${schema.pathname} and ${ref.pathname}`);
