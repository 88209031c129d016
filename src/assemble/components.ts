// The bill of materials (bundle.json `components`): one entry per thing the bundle carries, with
// the URL whose bytes were used, their sha256 and size (or the commit for repositories) and the
// licence when one was recognised.

import type { Fetched } from "../fetch/types.ts";
import type { FetchedRepo } from "../git/cache.ts";
import type { Plan, PlanArtifact } from "../plan/plan.ts";
import type { Component, ComponentKind } from "./bundle-json.ts";

export interface ComponentInputs {
  plan: Plan;
  files: Map<string, Fetched>;
  repos: Map<string, FetchedRepo>;
  /** What the Python stage reported (runtime and wheels), if anything. */
  python: Component[];
  launcher?: { name: string; size: number; sha256: string };
}

function fromFetched(a: PlanArtifact, kind: ComponentKind, f: Fetched | undefined): Component {
  return {
    kind,
    name: a.name,
    ...(a.version ? { version: a.version } : {}),
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
      case "node":
        out.push(fromFetched(a, a.kind, f));
        break;
      case "file":
        out.push(fromFetched(a, "file", f));
        break;
      case "repo":
      case "extension": {
        const r = i.repos.get(a.id);
        out.push({ kind: a.kind, name: a.name, commit: a.commit!, ...(r ? { url: r.url } : {}), dest: a.dest });
        break;
      }
    }
  }
  if (i.launcher) {
    out.push({ kind: "launcher", name: i.launcher.name, version: i.plan.recipe.version, sha256: i.launcher.sha256, size: i.launcher.size, dest: i.launcher.name });
  }
  return out;
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
