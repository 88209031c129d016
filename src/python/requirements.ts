// The recipe's requirements file: the full closure, one `name==version [; marker]` per line.
// Errors carry file:line:column (they are recipe errors, exit 2).

import { readFile } from "node:fs/promises";
import { BundleError, type Diagnostic, type SourcePos } from "../core/errors.ts";
import { parseRequirement, Pep508Error, type Requirement } from "./pep508.ts";

export interface PinnedRequirement extends Requirement {
  /** The exact version from `==` (local versions such as 2.1.2+cu121 kept). */
  version: string;
  line: number;
  col: number;
  file: string;
  /** The line as written, without comment. */
  text: string;
}

/** Parses requirement lines; every line must pin one exact version. */
export function parsePinnedRequirements(text: string, file: string): { reqs: PinnedRequirement[]; diagnostics: Diagnostic[] } {
  const reqs: PinnedRequirement[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = idx + 1;
    const hash = raw.search(/(^|\s)#/);
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trimEnd();
    const col = body.length - body.trimStart().length + 1;
    const t = body.trim();
    if (t === "") return;
    const diag = (message: string, hint: string, c = col) => diagnostics.push({ file, line, col: c, path: "", message, hint });
    if (t.startsWith("-")) {
      diag(`pip option "${t.split(/\s/)[0]}" is not supported in a recipe requirements file`, "indexes come from wheels.indexes and wheels.packages in the recipe; list only name==version lines");
      return;
    }
    let req: Requirement;
    try {
      req = parseRequirement(t);
    } catch (e) {
      const off = e instanceof Pep508Error ? e.offset : 0;
      diag(`not a valid requirement: ${(e as Error).message}`, "write name==version, e.g. numpy==1.26.2", col + off);
      return;
    }
    const m = /^(===|==)([^,*]+)$/.exec(req.specifier);
    if (req.url) {
      diag(`${req.name} uses a direct URL reference`, `declare it as wheels.packages.${req.key}.sdist with a sha256 and pin ${req.name}==<version> here`);
      return;
    }
    if (!m) {
      diag(`${req.name} is not pinned to one version (${req.specifier || "no version"})`, `write ${req.name}==<exact version>: the file must be the full, exact closure`);
      return;
    }
    const prev = seen.get(req.key);
    if (prev !== undefined && !req.marker) {
      diag(`${req.name} is pinned twice (first on line ${prev})`, "keep one line per package (use markers to pin per platform)");
      return;
    }
    seen.set(req.key, line);
    reqs.push({ ...req, version: m[2]!, line, col, file, text: t });
  });
  return { reqs, diagnostics };
}

/**
 * The text of a requirements file as pip reads it (pip's `auto_decode`): a byte-order mark says
 * the encoding — Notepad's "UTF-8 with BOM", and UTF-16, which Windows PowerShell 5 writes for
 * `pip freeze > requirements.txt` — and is not part of the first line; otherwise UTF-8.
 */
export function decodeRequirementsText(b: Buffer): string {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString("utf8");
  if (b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString("utf16le");
  if (b[0] === 0xfe && b[1] === 0xff) {
    const le = Buffer.from(b.subarray(2));
    le.swap16(); // big-endian: swap to little-endian (an odd trailing byte cannot be text anyway)
    return le.toString("utf16le");
  }
  return b.toString("utf8");
}

/** Reads the requirements file; `where` (the recipe's `wheels.requirements`) is where a read failure points. */
export async function readPinnedRequirements(path: string, shownAs: string, where?: SourcePos): Promise<PinnedRequirement[]> {
  let text: string;
  try {
    text = decodeRequirementsText(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? String(e)})`;
    const hint = "wheels.requirements is relative to the recipe that names it";
    throw new BundleError("RECIPE", `requirements file ${shownAs} ${why}`, {
      ...(where ? {} : { hint }),
      cause: e,
      diagnostics: where ? [{ ...where, path: "wheels.requirements", message: `${shownAs} ${why}`, hint }] : [],
    });
  }
  const { reqs, diagnostics } = parsePinnedRequirements(text, shownAs);
  if (diagnostics.length > 0) {
    throw new BundleError("RECIPE", `${shownAs}: ${diagnostics.length} problem(s) in the requirements file`, { diagnostics });
  }
  return reqs;
}
