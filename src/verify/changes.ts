// What a first launch changed, sorted by consequence.
// Something new or changed under the Python runtime or a bundled repository means the app
// installed or updated something at first launch — on an end user's offline machine that is
// exactly what fails — so it fails verify. The recipe's `allow_changes` globs name the runtime
// files an app legitimately writes (configs, caches, logs, outputs). New bytecode is only
// reported: it is harmless but better shipped precompiled.

import { globMatcher } from "./glob.ts";
import type { TreeDiff } from "./tree.ts";

export type ChangeKind = "added" | "changed" | "removed";

export interface ChangeEntry {
  path: string;
  change: ChangeKind;
  /** Which protected area or rule the path falls under ("the Python runtime", "repository webui", "a shipped file"). */
  where?: string;
}

export interface ProtectedArea {
  /** Folder relative to the bundle root ('/'-separated). */
  path: string;
  label: string;
}

export interface ChangeRules {
  protected: ProtectedArea[];
  /** Folders of bundled git repositories: their `.git/` internals are only reported (git refreshes its index). */
  repos: string[];
  /** Paths the manifest lists: changing or removing one fails unless allowed. */
  shipped: ReadonlySet<string>;
  allow: readonly string[];
}

export interface ClassifiedChanges {
  violations: ChangeEntry[];
  pycache: ChangeEntry[];
  allowed: ChangeEntry[];
  other: ChangeEntry[];
}

const isBytecode = (p: string) => /(^|\/)__pycache__\//.test(p) || /\.py[co]$/.test(p);

const gitDir = (repo: string) => (repo === "" ? ".git" : `${repo}/.git`);

function under(path: string, folder: string): boolean {
  return folder === "" || path === folder || path.startsWith(folder + "/");
}

export function classifyChanges(diff: TreeDiff, rules: ChangeRules): ClassifiedChanges {
  const allowed = globMatcher(rules.allow);
  // the most specific area wins: site-packages inside the runtime, a nested repository inside webui
  const areas = [...rules.protected].sort((a, b) => b.path.length - a.path.length);
  const repos = [...rules.repos].sort((a, b) => b.length - a.length);
  const out: ClassifiedChanges = { violations: [], pycache: [], allowed: [], other: [] };
  const entries: ChangeEntry[] = [
    ...diff.added.map((path) => ({ path, change: "added" as const })),
    ...diff.changed.map((path) => ({ path, change: "changed" as const })),
    ...diff.removed.map((path) => ({ path, change: "removed" as const })),
  ];
  for (const e of entries) {
    if (allowed(e.path)) {
      out.allowed.push(e);
      continue;
    }
    if (isBytecode(e.path) && e.change !== "removed") {
      out.pycache.push(e);
      continue;
    }
    const repo = repos.find((r) => under(e.path, gitDir(r)));
    if (repo !== undefined) {
      const name = repo || ".";
      if (e.path === `${gitDir(repo)}/HEAD`) out.violations.push({ ...e, where: `repository ${name}: HEAD moved (something checked out another commit)` });
      else out.other.push({ ...e, where: `git metadata of ${name}` });
      continue;
    }
    const area = areas.find((a) => under(e.path, a.path));
    if (area) out.violations.push({ ...e, where: area.label });
    else if (rules.shipped.has(e.path)) out.violations.push({ ...e, where: "a shipped file" });
    else out.other.push(e);
  }
  const byPath = (a: ChangeEntry, b: ChangeEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  for (const list of Object.values(out)) list.sort(byPath);
  return out;
}

/** One line per violation, for messages and the report: "added python/lib/…/six.py (site-packages)". */
export function describeChange(e: ChangeEntry): string {
  return `${e.change} ${e.path}${e.where ? ` (${e.where})` : ""}`;
}
