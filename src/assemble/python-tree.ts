// `python/` of a bundle: the runtime unpacked for the target, sdists built with their pinned build
// requirements (or taken from the cache by their sha256), every wheel installed in parallel,
// console scripts written. Called by assembly (src/assemble/build.ts) with the verified files of
// the plan: nothing here downloads.

import type { Component } from "../contract/bundle-json.ts";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import type { Fetched } from "../fetch/types.ts";
import type { Plan, RuntimeArtifact, SdistArtifact, WheelArtifact } from "../plan/plan.ts";
import { pinnedArchiveError } from "../pack/extract.ts";
import type { Recipe } from "../recipe/schema.ts";
import { installWheels, type WheelToInstall } from "../python/install.ts";
import { firstSysPath, unpackRuntime } from "../python/runtime.ts";
import { buildSdist } from "../python/sdist.ts";

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

function need(fetched: Map<string, Fetched>, id: string): Fetched {
  const f = fetched.get(id);
  if (!f) throw new BundleError("BUILD", `${id} was not fetched`, { hint: "run `bundle fetch` (or build without --offline) first" });
  return f;
}

export async function buildPythonTree(o: PythonTreeOptions): Promise<{ components: Component[] }> {
  const { plan, root } = o;
  const target = plan.target;
  const planned = plan.artifacts.filter((a): a is WheelArtifact => a.kind === "wheel");
  const unlocked = planned.filter((a) => !a.locked);
  if (unlocked.length > 0) {
    throw new BundleError("NOT_LOCKED", `${unlocked.length} wheel(s) are not in the lock for ${plan.platform}: ${unlocked.map((a) => a.requirement).join(", ")}`, {
      hint: `run \`bundle lock ${plan.recipe.file}\` with network access first`,
    });
  }
  const py = plan.artifacts.find((a): a is RuntimeArtifact => a.kind === "python");
  if (!py) throw new Error(`the plan of ${plan.bundleName} has no runtime artifact`);
  const runtime = need(o.fetched, py.id);
  const first = firstSysPath(o.recipe.launcher);
  await unpackRuntime({ archive: runtime.path, root, target, paths: o.recipe.python.paths ?? [], first, ...(o.signal ? { signal: o.signal } : {}) }).catch((e: unknown) => {
    throw pinnedArchiveError(e, runtime);
  });
  const components: Component[] = [{ kind: "python", name: "python", version: py.version, url: runtime.url, sha256: runtime.sha256, size: runtime.size, license: "PSF-2.0", dest: py.dest }];

  const wheels: WheelToInstall[] = [];
  const source = new Map<string, Fetched>(); // wheel file name → what the bundle.json names as its source
  for (const a of planned) {
    if (!a.locked) continue; // refused above
    const f = need(o.fetched, a.id);
    wheels.push({ path: f.path, filename: a.filename });
    source.set(a.filename, f);
  }
  for (const a of plan.artifacts.filter((x): x is SdistArtifact => x.kind === "sdist")) {
    const f = need(o.fetched, a.id);
    // The pinned build requirements are plan artifacts of their own, fetched with everything else.
    const buildWheels = a.buildRequirements.map((id) => need(o.fetched, id).path);
    const built = await buildSdist({
      sdist: f.path, sdistSha256: f.sha256, sdistFilename: decodeURIComponent(new URL(f.url).pathname.split("/").pop()!), name: a.name, version: a.version, target,
      cacheDir: o.cacheDir, buildWheels, ...pass(o),
    });
    wheels.push({ path: built.path, filename: built.filename });
    source.set(built.filename, f);
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
