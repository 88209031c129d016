// The published JSON Schema is generated from the schema in code and must not be stale.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { recipeJsonSchema } from "../../src/recipe/schema.ts";
import { recipeReferenceMarkdown } from "../../src/recipe/reference.ts";

describe("schema/recipe.schema.json", () => {
  it("matches the schema in code (run `npm run schema` after changing src/recipe/schema.ts)", () => {
    const onDisk = JSON.parse(readFileSync("schema/recipe.schema.json", "utf8"));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(recipeJsonSchema())));
  });

  it("docs/recipe-reference.md matches the schema in code (run `npm run schema`)", () => {
    expect(readFileSync("docs/recipe-reference.md", "utf8")).toBe(recipeReferenceMarkdown());
  });

  it("is referenced by every recipe's first line for editors", () => {
    for (const f of readdirSync("recipes").filter((f) => f.endsWith(".yml"))) {
      expect(readFileSync(`recipes/${f}`, "utf8").split("\n")[0], f).toBe("# yaml-language-server: $schema=../schema/recipe.schema.json");
    }
  });
});
