// Walks the zod schema to answer "which keys are allowed at this path" (for "did you mean").

import type { z } from "zod";
import { RecipeSchema } from "./schema.ts";
import type { KeyPath } from "./yaml-source.ts";

type AnyDef = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; in?: z.ZodType };

function def(s: z.ZodType): AnyDef {
  return (s as unknown as { _zod: { def: AnyDef } })._zod.def;
}

function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = def(s);
    if ((d.type === "optional" || d.type === "default" || d.type === "nullable" || d.type === "prefault") && d.innerType) s = d.innerType;
    else if (d.type === "pipe" && d.in) s = d.in;
    else return s;
  }
}

/** The schema node at `path`, or undefined. */
export function schemaAt(path: KeyPath, root: z.ZodType = RecipeSchema): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const seg of path) {
    if (!s) return undefined;
    const d = def(s);
    if (d.type === "object" && d.shape) s = typeof seg === "string" ? d.shape[seg] : undefined;
    else if (d.type === "array" && d.element) s = d.element;
    else if (d.type === "record" && d.valueType) s = d.valueType;
    else return undefined;
    if (s) s = unwrap(s);
  }
  return s;
}

/** Keys an object at `path` accepts (empty when the path is not an object). */
export function knownKeysAt(path: KeyPath): string[] {
  const s = schemaAt(path);
  if (!s) return [];
  const d = def(s);
  return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
}
