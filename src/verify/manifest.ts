// The file manifest of bundle.json against what was actually extracted: every
// listed file present with its size and sha256, executables still executable, nothing unlisted.
// A partial unzip, an antivirus quarantine or a packer that dropped a file shows up here, before
// anything is booted. Pure: compares the manifest with a tree snapshot.

import { posix } from "node:path";
import { BUNDLE_JSON, type ManifestEntry } from "../contract/bundle-json.ts";
import type { Tree, TreeEntry } from "./tree.ts";

export interface ManifestProblem {
  path: string;
  problem: "missing" | "size" | "sha256" | "not executable" | "unlisted" | "link";
  expected?: string;
  actual?: string;
}

export interface ManifestResult {
  ok: boolean;
  files: number;
  bytes: number;
  problems: ManifestProblem[];
}

/** Follows links inside the tree (at most 16 hops) to the file they name. */
export function resolveInTree(tree: Tree, path: string): TreeEntry | undefined {
  let p = path;
  for (let hops = 0; hops < 16; hops++) {
    const e = tree.get(p);
    if (!e || e.kind === "file") return e;
    p = posix.normalize(posix.join(posix.dirname(p), e.target!));
    if (p.startsWith("../") || posix.isAbsolute(p)) return undefined;
  }
  return undefined;
}

export function checkManifest(files: readonly ManifestEntry[], tree: Tree, opts: { checkExec: boolean }): ManifestResult {
  const problems: ManifestProblem[] = [];
  const listed = new Set<string>();
  let bytes = 0;
  for (const f of files) {
    listed.add(f.path);
    bytes += f.size;
    const own = tree.get(f.path);
    const e = resolveInTree(tree, f.path);
    if (f.link !== undefined && own && (own.kind !== "link" || own.target !== f.link)) problems.push({ path: f.path, problem: "link", expected: f.link, actual: own.target ?? "(a file)" });
    else if (!e) problems.push({ path: f.path, problem: "missing" });
    else if (e.size !== f.size) problems.push({ path: f.path, problem: "size", expected: String(f.size), actual: String(e.size) });
    else if (e.sha256 !== f.sha256) problems.push({ path: f.path, problem: "sha256", expected: f.sha256, actual: e.sha256 ?? "(not hashed)" });
    else if (opts.checkExec && f.exec && (e.mode & 0o100) === 0) problems.push({ path: f.path, problem: "not executable" });
  }
  for (const path of tree.keys()) {
    if (path !== BUNDLE_JSON && !listed.has(path)) problems.push({ path, problem: "unlisted" });
  }
  return { ok: problems.length === 0, files: files.length, bytes, problems };
}

export function describeManifestProblem(p: ManifestProblem): string {
  switch (p.problem) {
    case "missing":
      return `${p.path}: missing`;
    case "unlisted":
      return `${p.path}: present but not in bundle.json`;
    case "not executable":
      return `${p.path}: lost its executable bit`;
    case "link":
      return `${p.path}: should be a link to ${p.expected}, is ${p.actual}`;
    default:
      return `${p.path}: ${p.problem} is ${p.actual}, bundle.json says ${p.expected}`;
  }
}
