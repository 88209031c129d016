import { relative } from "node:path";

/** A path as the user would type it: relative to the working folder when it is below it. */
export function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith("..") ? p : rel;
}
