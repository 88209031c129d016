// The recipe reference (docs/recipe-reference.md) generated from the same schema as the JSON
// Schema, so the docs cannot drift from what the validator accepts.

import { PLATFORMS } from "../core/platform.ts";
import { recipeJsonSchema } from "./schema.ts";

type JS = {
  type?: string | string[];
  properties?: Record<string, JS>;
  required?: string[];
  items?: JS;
  additionalProperties?: JS | boolean;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  anyOf?: JS[];
};

function typeOf(s: JS): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "any"}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) return `map of ${typeOf(s.additionalProperties)}`;
  return Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
}

function rows(s: JS, path: string, required: boolean, out: string[][]): void {
  const platformKeys = s.properties ? Object.keys(s.properties).filter((k) => (PLATFORMS as readonly string[]).includes(k)) : [];
  if (path) {
    const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : "";
    out.push([`\`${path}\``, typeOf(s), required ? "yes" : "", def, (s.description ?? "").replace(/\|/g, "\\|")]);
  }
  if (s.properties) {
    const req = new Set(s.required ?? []);
    for (const [k, v] of Object.entries(s.properties)) {
      if (k === "$schema") continue;
      if (platformKeys.includes(k) && k !== platformKeys[0]) continue;
      const key = platformKeys.includes(k) ? "<platform>" : k;
      rows(v, path ? `${path}.${key}` : key, req.has(k), out);
    }
  } else if (s.type === "array" && s.items?.properties) {
    rows({ ...s.items, description: undefined }, `${path}[]`, false, out);
    out.splice(out.length - Object.keys(s.items.properties).length - 1, 1);
  } else if (s.type === "object" && typeof s.additionalProperties === "object" && s.additionalProperties.properties) {
    rows({ ...s.additionalProperties, description: undefined }, `${path}.<name>`, false, out);
    out.splice(out.length - Object.keys(s.additionalProperties.properties).length - 1, 1);
  }
}

export function recipeReferenceMarkdown(): string {
  const out: string[][] = [];
  rows(recipeJsonSchema() as JS, "", true, out);
  const lines = [
    "# Recipe reference (format v1)",
    "",
    "Generated from `src/recipe/schema.ts` by `npm run schema` — do not edit by hand.",
    "`<platform>` is one of " + PLATFORMS.map((p) => `\`${p}\``).join(", ") + ".",
    "",
    "| key | type | required | default | description |",
    "| --- | --- | --- | --- | --- |",
    ...out.map((r) => `| ${r.join(" | ")} |`),
    "",
  ];
  return lines.join("\n");
}
