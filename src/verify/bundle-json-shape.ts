// What `bundle verify` needs bundle.json to be before it trusts it: the fields it reads, with
// their types, and names that stay inside the bundle. A damaged or hand-edited bundle.json is a
// failed check that names the key, never a crash — and never a report folder, a launcher or a
// manifest entry outside where they belong (the bundle's name and the launcher's name become
// paths). Pure.

import { z } from "zod";
import { PLATFORMS } from "../core/platform.ts";

/** A `/`-separated path inside the bundle: relative, no `..`, no backslashes, no empty parts. */
const InsidePath = z.string().refine((p) => p !== "" && !p.startsWith("/") && !/\\|^[A-Za-z]:/.test(p) && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."), {
  message: "expected a relative path inside the bundle",
});
/** Folder inside the bundle, where "" is the bundle root. */
const InsideDir = z.union([z.literal(""), InsidePath]);
/** A name that becomes one path segment (report folder, launcher file). */
const Segment = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "expected letters, digits and . _ + - only");

const Shape = z.object({
  format: z.literal(1),
  name: Segment,
  version: Segment,
  title: z.string().optional(),
  platform: z.enum(PLATFORMS),
  components: z.array(z.object({ kind: z.string(), name: z.string(), dest: InsideDir })),
  launcher: z.object({
    name: Segment,
    command: z.array(z.string()),
    ready: z.string(),
    python: InsidePath,
    repos: z.array(InsideDir),
  }),
  verify: z
    .object({
      api: z.string().optional(),
      txt2img: z.record(z.string(), z.unknown()).optional(),
      timeout: z.number().positive().optional(),
      allow_changes: z.array(z.string()).optional(),
    })
    .optional(),
  files: z.array(
    z.object({
      path: InsidePath,
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits"),
      exec: z.boolean().optional(),
      link: z.string().optional(),
    }),
  ),
});

/** Undefined when `value` has the shape verify relies on, otherwise the first problem ("files[3].sha256: …"). */
export function bundleJsonProblem(value: unknown): string | undefined {
  const r = Shape.safeParse(value);
  if (r.success) return undefined;
  const issue = r.error.issues[0]!;
  const at = issue.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("").replace(/^\./, "");
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem(s))` : "";
  return `${at || "the top level"}: ${/received undefined$/.test(issue.message) ? "missing" : issue.message}${more}`;
}
