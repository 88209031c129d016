// Portability lint for bundles that will be unzipped on Windows (platforms whose `pathRules` are
// "windows"). End users unzip into
// deep folders (Desktop\新建文件夹\…), and many tools still stop at 260 characters, so a long
// relative path is a warning at 160 and an error at 220. Names Windows cannot create at all —
// reserved device names, trailing dots or spaces, forbidden characters, names that differ only
// in case within one folder — are errors: such a file silently goes missing when unzipped.

import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";

export const PATH_WARN = 160;
export const PATH_ERROR = 220;

export type LintRule = "long-path" | "reserved-name" | "trailing-dot-space" | "forbidden-char" | "case-collision" | "symlink";

export interface LintFinding {
  severity: "error" | "warning";
  rule: LintRule;
  /** Offending relative paths ('/'-separated). */
  paths: string[];
  message: string;
}

export interface LintEntry {
  path: string;
  kind: "file" | "dir" | "link";
}

// CON, PRN, AUX, NUL, COM1-9, LPT1-9 — also with any extension ("nul.txt") and with the
// superscript digits ¹²³ Windows also treats as device numbers.
const RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\..*)?$/i;
// <>:"|?* and control characters; a backslash is a separator on Windows.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>:"|?*\\\u0000-\u001f]/;

/** Length of the path as Windows counts it (UTF-16 code units, '\' separators: same length). */
export function windowsLength(path: string): number {
  return path.length;
}

function nameProblems(path: string, out: LintFinding[]): void {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (RESERVED.test(name.replace(/[. ]+$/, ""))) {
    out.push({ severity: "error", rule: "reserved-name", paths: [path], message: `"${name}" is a reserved device name on Windows and cannot be created` });
  }
  if (/[. ]$/.test(name)) {
    out.push({ severity: "error", rule: "trailing-dot-space", paths: [path], message: `"${name}" ends with a dot or space, which Windows strips (the file would be renamed or lost)` });
  }
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    const ch = bad[0].charCodeAt(0) < 32 ? `control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, "0")}` : `"${bad[0]}"`;
    out.push({ severity: "error", rule: "forbidden-char", paths: [path], message: `"${name}" contains ${ch}, which Windows does not allow in file names` });
  }
}

/** Lints the relative paths of a bundle tree for the target platform's path rules (only Windows has any). */
export function lintPaths(entries: readonly LintEntry[], platform: Platform): LintFinding[] {
  if (PLATFORM_FACTS[platform].pathRules !== "windows") return [];
  const out: LintFinding[] = [];
  const byFolded = new Map<string, string[]>();
  for (const e of entries) {
    nameProblems(e.path, out);
    const len = windowsLength(e.path);
    // Folders are not measured: the files inside them are longer and are reported instead.
    if (e.kind === "dir") {
      // (no length check)
    } else if (len > PATH_ERROR) {
      out.push({ severity: "error", rule: "long-path", paths: [e.path], message: `path is ${len} characters long (limit ${PATH_ERROR}); unzipped into a folder it passes Windows' 260-character limit` });
    } else if (len > PATH_WARN) {
      out.push({ severity: "warning", rule: "long-path", paths: [e.path], message: `path is ${len} characters long (over ${PATH_WARN}); users must unzip it into a short folder such as D:\\AI` });
    }
    if (e.kind === "link") {
      out.push({ severity: "error", rule: "symlink", paths: [e.path], message: "symbolic link: a zip unpacked on Windows turns it into a small text file or drops it" });
    }
    const folded = e.path.toUpperCase();
    const same = byFolded.get(folded);
    if (same) same.push(e.path);
    else byFolded.set(folded, [e.path]);
  }
  const collided = new Set([...byFolded].filter(([, p]) => p.length > 1).map(([k]) => k));
  const parentCollided = (folded: string) => {
    for (let i = folded.lastIndexOf("/"); i > 0; i = folded.lastIndexOf("/", i - 1)) if (collided.has(folded.slice(0, i))) return true;
    return false;
  };
  for (const [folded, paths] of byFolded) {
    // "Foo/x" and "foo/x" collide because "Foo" and "foo" do: report the folders only.
    if (paths.length > 1 && !parentCollided(folded)) {
      out.push({ severity: "error", rule: "case-collision", paths: [...paths].sort(), message: `${paths.length} names differ only in case; on Windows they are the same file` });
    }
  }
  return out.sort((a, b) => (a.severity === b.severity ? cmp(a.paths[0]!, b.paths[0]!) : a.severity === "error" ? -1 : 1));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line per finding, for messages and the build result. */
export function formatFinding(f: LintFinding): string {
  return `${f.severity}: ${f.paths.join(" ≈ ")}: ${f.message}`;
}
