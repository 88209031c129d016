// The closure check: the requirements file must be the full, exact closure. Every
// Requires-Dist of every chosen wheel is evaluated with PEP 508 markers for the target and the
// extras requested of that package (extras propagate: A needing B[x] turns on B's `extra == "x"`
// lines), and must be met by a pinned package. Each miss or conflict is reported with the chain of
// packages that leads to it, from a package nothing else needs.

import { satisfies, valid } from "@renovatebot/pep440";
import { evaluateMarker, normalizeName, parseRequirement, type MarkerEnv, type Requirement } from "./pep508.ts";

export interface ClosureNode {
  key: string;
  version: string;
  /** Requires-Dist lines of the wheel's METADATA (undefined when unknown, e.g. not inspected). */
  requiresDist?: string[];
}

export interface ClosureProblem {
  kind: "missing" | "conflict" | "unparsable";
  /** The Requires-Dist line. */
  requirement: string;
  /** `name==version` of the package that needs it. */
  neededBy: string;
  /** From a root down to the package that needs it, each as `name==version`. */
  chain: string[];
  /** What is pinned instead (conflicts). */
  pinned?: string;
}

export interface ClosureResult {
  problems: ClosureProblem[];
  /** The Requires-Dist lines that apply on this target, per package (for the lock's `requires`). */
  applied: Map<string, string[]>;
}

/**
 * `provides`: project → the pinned package that stands in for it (the recipe's
 * `wheels.packages.<name>.provides`), e.g. opencv-python → opencv-python-headless, which ship the
 * same `cv2` module: a Requires-Dist on the project is met by the stand-in, at its version.
 */
export function checkClosure(nodes: ClosureNode[], rootExtras: Map<string, string[]>, env: MarkerEnv, provides: ReadonlyMap<string, string> = new Map()): ClosureResult {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  for (const [project, by] of provides) {
    const n = byKey.get(by);
    if (n && !byKey.has(project)) byKey.set(project, n);
  }
  const extras = new Map<string, Set<string>>(nodes.map((n) => [n.key, new Set(rootExtras.get(n.key) ?? [])]));
  const applied = new Map<string, string[]>();
  const edges = new Map<string, Set<string>>(); // needer → deps (present ones)
  const found = new Map<string, ClosureProblem>(); // de-duplicated by needer + requirement
  const queue = nodes.map((n) => n.key);
  const queued = new Set(queue);
  while (queue.length > 0) {
    const key = queue.shift()!;
    queued.delete(key);
    const node = byKey.get(key)!;
    const want = [...extras.get(key)!];
    const lines: string[] = [];
    const deps = new Set<string>();
    for (const line of node.requiresDist ?? []) {
      let req: Requirement;
      try {
        req = parseRequirement(line);
      } catch {
        found.set(`${key}\0${line}`, { kind: "unparsable", requirement: line, neededBy: pin(node), chain: [] });
        continue;
      }
      if (req.marker && !evaluateMarker(req.marker, env, want)) continue;
      lines.push(line);
      const dep = byKey.get(req.key);
      const depKey = dep?.key ?? req.key;
      if (!dep) {
        found.set(`${key}\0${line}`, { kind: "missing", requirement: line, neededBy: pin(node), chain: [] });
        continue;
      }
      deps.add(depKey);
      if (req.specifier && !versionOk(dep.version, req.specifier)) {
        found.set(`${key}\0${line}`, { kind: "conflict", requirement: line, neededBy: pin(node), chain: [], pinned: pin(dep) });
      }
      const depExtras = extras.get(depKey)!;
      const before = depExtras.size;
      for (const x of req.extras) depExtras.add(normalizeName(x));
      if (depExtras.size > before && !queued.has(depKey)) {
        queue.push(depKey);
        queued.add(depKey);
      }
    }
    applied.set(key, lines);
    edges.set(key, deps);
  }
  const problems = [...found.values()].map((p) => ({ ...p, chain: chainTo(keyOf(p.neededBy), edges, byKey) }));
  problems.sort((a, b) => (a.neededBy < b.neededBy ? -1 : a.neededBy > b.neededBy ? 1 : a.requirement < b.requirement ? -1 : 1));
  return { problems, applied };
}

function pin(n: ClosureNode): string {
  return `${n.key}==${n.version}`;
}

function keyOf(p: string): string {
  return p.slice(0, p.indexOf("=="));
}

function versionOk(version: string, specifier: string): boolean {
  if (!valid(version)) return true; // cannot judge: do not invent a conflict
  try {
    return satisfies(version, specifier, { prereleases: true });
  } catch {
    return true;
  }
}

/** Shortest chain root → … → `target`, where roots are packages no other package needs. */
function chainTo(target: string, edges: Map<string, Set<string>>, byKey: Map<string, ClosureNode>): string[] {
  const needed = new Set([...edges.values()].flatMap((s) => [...s]));
  const roots = [...edges.keys()].filter((k) => !needed.has(k)).sort();
  const prev = new Map<string, string | null>(roots.map((r) => [r, null]));
  const queue = [...roots];
  while (queue.length > 0 && !prev.has(target)) {
    const k = queue.shift()!;
    for (const d of [...(edges.get(k) ?? [])].sort()) if (!prev.has(d)) {
      prev.set(d, k);
      queue.push(d);
    }
  }
  if (!prev.has(target)) return [pin(byKey.get(target)!)]; // only reachable through a cycle
  const chain: string[] = [];
  for (let k: string | null = target; k !== null; k = prev.get(k) ?? null) chain.unshift(pin(byKey.get(k)!));
  return chain;
}

/** One line per problem: "gradio==3.41.2 → httpx==0.24.1 needs sniffio (missing)". */
export function formatProblem(p: ClosureProblem): string {
  const path = p.chain.join(" → ");
  if (p.kind === "unparsable") return `${p.neededBy} has a Requires-Dist that is not valid PEP 508: "${p.requirement}"`;
  if (p.kind === "missing") return `${path} needs ${p.requirement}, which the requirements do not pin`;
  return `${path} needs ${p.requirement}, but ${p.pinned} is pinned`;
}
