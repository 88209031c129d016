// The bill of materials (bundle.json `components`): one entry per thing the bundle carries, with
// the URL whose bytes were used, their sha256 and size and the licence when one was recognised.
// Repositories have no downloaded file of their own: they carry their commit, and the sha256 and
// size of their checkout as placed (treeDigests), so that every component has both.

import { withoutCredentials } from "../core/errors.ts";
import { createHash } from "node:crypto";
import type { Fetched } from "../fetch/types.ts";
import type { FetchedRepo } from "../git/cache.ts";
import type { DownloadArtifact, Plan } from "../plan/plan.ts";
import type { Component, ComponentKind, ManifestEntry } from "../contract/bundle-json.ts";

export interface ComponentInputs {
  plan: Plan;
  files: Map<string, Fetched>;
  repos: Map<string, FetchedRepo>;
  /** What the Python stage reported (runtime and wheels), if anything. */
  python: Component[];
  launcher?: { name: string; size: number; sha256: string };
}

function fromFetched(a: DownloadArtifact & { dest: string }, kind: ComponentKind, f: Fetched | undefined): Component {
  const version = "version" in a ? a.version : undefined;
  return {
    kind,
    name: a.name,
    ...(version ? { version } : {}),
    ...(f ? { url: f.url, sha256: f.sha256, size: f.size } : a.sha256 ? { sha256: a.sha256, size: a.size ?? 0 } : {}),
    dest: a.dest,
  };
}

export function collectComponents(i: ComponentInputs): Component[] {
  const out: Component[] = [];
  const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
  const fromPython = new Set(i.python.map((c) => `${c.kind}:${norm(c.name)}`));
  out.push(...i.python);
  for (const a of i.plan.artifacts) {
    const f = i.files.get(a.id);
    switch (a.kind) {
      case "python":
        if (!fromPython.has("python:python")) out.push(fromFetched(a, "python", f));
        break;
      case "wheel":
      case "sdist":
        if (!fromPython.has(`wheel:${norm(a.name)}`)) out.push({ ...fromFetched(a, "wheel", f) });
        break;
      case "git":
        out.push(fromFetched(a, "git", f));
        break;
      case "node":
        // the build machine's Node only wrote the launcher's blob: it is not in the bundle
        if (a.role === "launcher") out.push(fromFetched(a, "node", f));
        break;
      case "build-requirement":
        break; // only used to build an sdist
      case "file":
        if (a.text === undefined) out.push(fromFetched(a, "file", f));
        else out.push({ kind: "file", name: a.name, sha256: a.sha256, size: a.size, dest: a.dest });
        break;
      case "repo":
      case "extension": {
        const r = i.repos.get(a.id);
        out.push({ kind: a.kind, name: a.name, commit: a.commit, ...(r ? { url: r.url } : {}), dest: a.dest });
        break;
      }
      default:
        throw new Error(`no bill-of-materials entry for artifact kind ${(a satisfies never as { kind: string }).kind}`);
    }
  }
  if (i.launcher) {
    out.push({ kind: "launcher", name: i.launcher.name, version: i.plan.recipe.version, sha256: i.launcher.sha256, size: i.launcher.size, dest: i.launcher.name });
  }
  // The bill of materials ships with the bundle: a private mirror's credentials stay behind.
  return out.map((c) => (c.url ? { ...c, url: withoutCredentials(c.url) } : c));
}

/** Fills in licences recognised from the notices, keyed by "<kind>:<name>" (wheels by normalised name). */
export function withLicenses(cs: Component[], licenses: Map<string, string>): Component[] {
  return cs.map((c) => {
    if (c.license) return c;
    const key = c.kind === "wheel" ? `wheel:${c.name.toLowerCase().replace(/[-_.]+/g, "-")}` : `${c.kind}:${c.dest}`;
    const lic = licenses.get(key);
    return lic ? { ...c, license: lic } : c;
  });
}

/**
 * Fills in `sha256` and `size` of repository and extension components from the file manifest: the
 * files under the component's folder that no deeper component owns (a nested repository, an
 * extension, a file placed by the recipe), as `<sha256>  <path relative to the folder>` lines
 * sorted by path (sha256sum's format), hashed; the size is their bytes. Deterministic, like the
 * checkout itself (normalised .git included).
 */
export function withTreeDigests(cs: Component[], files: readonly ManifestEntry[]): Component[] {
  const dests = cs.map((c) => c.dest);
  return cs.map((c) => {
    if ((c.kind !== "repo" && c.kind !== "extension") || c.sha256) return c;
    const prefix = `${c.dest}/`;
    const deeper = dests.filter((d) => d !== c.dest && d.startsWith(prefix));
    const owned = files.filter((f) => f.path.startsWith(prefix) && !deeper.some((d) => f.path === d || f.path.startsWith(`${d}/`)));
    const rel = owned.map((f) => ({ path: f.path.slice(prefix.length), sha256: f.sha256, size: f.size })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const h = createHash("sha256");
    for (const f of rel) h.update(`${f.sha256}  ${f.path}\n`);
    return { ...c, sha256: h.digest("hex"), size: rel.reduce((n, f) => n + f.size, 0) };
  });
}
