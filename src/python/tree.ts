// `python/` of a bundle (issue 4 §7): the runtime unpacked for the target, sdists built (or taken
// from the cache by their sha256), every wheel installed in parallel, console scripts written.
// Called by assembly (src/assemble/build.ts) with the verified files of the plan.

import { resolve } from "node:path";
import type { Component } from "../contract/bundle-json.ts";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import type { Fetched } from "../fetch/types.ts";
import type { Plan, PlanArtifact } from "../plan/plan.ts";
import { pinnedArchiveError } from "../pack/extract.ts";
import type { Recipe } from "../recipe/schema.ts";
import { installWheels, type WheelToInstall } from "./install.ts";
import { readLock } from "./lockfile.ts";
import { fetchAll } from "./net.ts";
import { parsePinnedRequirements } from "./requirements.ts";
import { firstSysPath, unpackRuntime } from "./runtime.ts";
import { buildSdist } from "./sdist.ts";

export interface PythonTreeOptions {
  plan: Plan;
  /** The bundle folder under construction. */
  root: string;
  /** Verified files by plan artifact id. */
  fetched: Map<string, Fetched>;
  cacheDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  recipe: Recipe;
  /** Host Python for sdists (default $BUNDLE_HOST_PYTHON, else python3). */
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** Wheels unpacked at the same time (default 4). */
  jobs?: number;
}

function need(fetched: Map<string, Fetched>, a: PlanArtifact): Fetched {
  const f = fetched.get(a.id);
  if (!f) throw new BundleError("BUILD", `${a.id} was not fetched`, { hint: "run `bundle fetch` (or build without --offline) first" });
  return f;
}

export async function buildPythonTree(o: PythonTreeOptions): Promise<{ components: Component[] }> {
  const { plan, root } = o;
  const target = plan.target;
  const unlocked = plan.artifacts.filter((a) => a.kind === "wheel" && !a.locked);
  if (unlocked.length > 0) {
    throw new BundleError("NOT_LOCKED", `${unlocked.length} wheel(s) are not in the lock for ${plan.platform}: ${unlocked.map((a) => a.requirement ?? a.name).join(", ")}`, {
      hint: `run \`bundle lock ${plan.recipe.file}\` with network access first`,
    });
  }
  const py = plan.artifacts.find((a) => a.kind === "python")!;
  const runtime = need(o.fetched, py);
  const first = firstSysPath(o.recipe.launcher);
  await unpackRuntime({ archive: runtime.path, root, target, paths: o.recipe.python.paths ?? [], first, ...(o.signal ? { signal: o.signal } : {}) }).catch((e: unknown) => {
    throw pinnedArchiveError(e, runtime);
  });
  const components: Component[] = [{ kind: "python", name: "python", ...(py.version ? { version: py.version } : {}), url: runtime.url, sha256: runtime.sha256, size: runtime.size, license: "PSF-2.0", dest: "python" }];

  const wheels: WheelToInstall[] = [];
  const source = new Map<string, Fetched>(); // wheel file name → what the bundle.json names as its source
  for (const a of plan.artifacts.filter((x) => x.kind === "wheel")) {
    const f = need(o.fetched, a);
    const filename = a.filename ?? decodeURIComponent(new URL(f.url).pathname.split("/").pop()!);
    wheels.push({ path: f.path, filename });
    source.set(filename, f);
  }
  const sdists = plan.artifacts.filter((a) => a.kind === "sdist");
  if (sdists.length > 0) {
    const buildWheels = await buildRequirementWheels(o, sdists);
    for (const a of sdists) {
      const f = need(o.fetched, a);
      const built = await buildSdist({
        sdist: f.path, sdistSha256: f.sha256, sdistFilename: decodeURIComponent(new URL(f.url).pathname.split("/").pop()!), name: a.name, version: a.version!, target,
        cacheDir: o.cacheDir, buildWheels: buildWheels.get(a.id) ?? [], ...pass(o),
      });
      wheels.push({ path: built.path, filename: built.filename });
      source.set(built.filename, f);
    }
  }
  const installed = await installWheels(wheels, { root, target, ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  for (const d of installed) {
    const f = source.get(d.filename)!;
    components.push({ kind: "wheel", name: d.name, version: d.version, url: f.url, sha256: f.sha256, size: f.size, ...(d.metadata.license ? { license: d.metadata.license } : {}), dest: target.scheme.purelib });
  }
  return { components };
}

function pass(o: PythonTreeOptions) {
  return { ...(o.python ? { python: o.python } : {}), ...(o.env ? { env: o.env } : {}), ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}

/**
 * The pinned build requirements of each sdist (wheels.build_requires or the package's own), as
 * cache paths. Their hashes were pinned by `bundle lock` as `build:<name>` artifacts.
 */
async function buildRequirementWheels(o: PythonTreeOptions, sdists: PlanArtifact[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const wanted = new Set(sdists.flatMap((a) => a.buildRequires ?? []));
  if (wanted.size === 0) return out;
  const lock = o.plan.lock.file ? await readLock(resolve(o.plan.lock.file)) : undefined;
  const pinned = lock?.platforms[o.plan.platform]?.artifacts ?? {};
  const reqs = [];
  const missing: string[] = [];
  for (const line of wanted) {
    const key = parsePinnedRequirements(line, "wheels.build_requires").reqs[0]?.key;
    const art = key ? pinned[`build:${key}`] : undefined;
    if (!art) missing.push(line);
    else reqs.push({ id: `build:${key}`, urls: [art.url], sha256: art.sha256, size: art.size });
  }
  if (missing.length > 0) {
    throw new BundleError("NOT_LOCKED", `the build requirements ${missing.join(", ")} are not pinned in the lock for ${o.plan.platform}`, { hint: `run \`bundle lock ${o.plan.recipe.file}\`` });
  }
  const got = await fetchAll(reqs, { cacheDir: o.cacheDir, ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  for (const a of sdists) {
    const paths = (a.buildRequires ?? []).map((line) => got.get(`build:${parsePinnedRequirements(line, "wheels.build_requires").reqs[0]!.key}`)!.path);
    out.set(a.id, paths);
  }
  return out;
}
