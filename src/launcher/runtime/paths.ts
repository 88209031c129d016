// Where the bundle is, and warnings about where it is: non-ASCII
// characters and spaces in the path, and paths over Windows' MAX_PATH once a file's relative
// path is appended.

import { dirname, resolve } from "node:path";
import type { MsgKey } from "./i18n.ts";

/**
 * The bundle root: the folder holding the launcher executable. When run from source (tests and
 * development, `node src/launcher/runtime/main.ts`), GREENBUNDLE_BUNDLE_ROOT names it instead.
 */
export function bundleRoot(isSea: boolean, execPath: string, env: Record<string, string | undefined>): string {
  if (!isSea && env.GREENBUNDLE_BUNDLE_ROOT) return resolve(env.GREENBUNDLE_BUNDLE_ROOT);
  return dirname(execPath);
}

/** Windows' classic MAX_PATH (260, including the drive and the terminating NUL). */
const MAX_PATH = 260;

export interface PathWarning {
  key: MsgKey;
  params: Record<string, string | number>;
}

export function pathWarnings(root: string, longestRelative: number, windows: boolean): PathWarning[] {
  const out: PathWarning[] = [];
  if (/[^\x20-\x7e]/.test(root)) out.push({ key: "pathNonAscii", params: { path: root } });
  if (root.includes(" ")) out.push({ key: "pathSpaces", params: { path: root } });
  // root + separator + relative path + NUL must stay below MAX_PATH unless long paths are on.
  const len = root.length + 1 + longestRelative;
  if (windows && len + 1 > MAX_PATH) out.push({ key: "pathLong", params: { len } });
  return out;
}
