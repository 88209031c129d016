// plan(recipe, platform): every artifact the build needs — what goes into the bundle and what is
// only used while building it — with its candidate URLs in mirror order, destination and expected
// hash. No network. The lock (when present) supplies wheel files and the hashes of artifacts whose
// recipe sha256 is "lock". `bundle fetch` fetches exactly this list, and `build --offline` needs
// nothing else.

import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { BundleError, withoutCredentials } from "../core/errors.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { expandUrl } from "../recipe/mirrors.ts";
import { LOCK_PLACEHOLDER, type Recipe } from "../recipe/schema.ts";
import { extensionName } from "../recipe/validate.ts";
import { readLock, type LockFile, type LockPlatform } from "../python/lockfile.ts";
import { lockDrift } from "../python/lock-drift.ts";
import { makeTarget, type Target } from "../python/target.ts";
import type { ArtifactKind, ArtifactOfKind, Download, HostNodeArtifact, LauncherNodeArtifact, PlanArtifact, RuntimeArtifact } from "./artifact.ts";
import { shownPath } from "./shown.ts";
import { wheelArtifacts } from "./wheels.ts";
import { readWorkflow } from "./workflow.ts";

export type * from "./artifact.ts";
export { isDownload, isRepo } from "./artifact.ts";
export { lockedWheelUrls, pinnedRequirements } from "./wheels.ts";

export type LockState = "none" | "missing" | "fresh" | "stale";

export interface Plan {
  recipe: { name: string; version: string; title: string; file: string };
  platform: Platform;
  /** `<name>-<version>-<platform>`: the bundle folder and archive base name. */
  bundleName: string;
  target: Target;
  artifacts: PlanArtifact[];
  lock: { file?: string; state: LockState; problems: string[] };
}

export interface PlanInputs {
  loaded: LoadedRecipe;
  platform: Platform;
  /** Pre-read lock (tests); otherwise read from the recipe's wheels.lock. */
  lock?: LockFile | null;
  /**
   * The machine that will build, when it is known (the CLI's build, fetch and plan pass it): a
   * launcher for another platform may need this host's Node archive too. Without it the plan
   * holds only what the bundle is made of (as `bundle lock` and `cache gc` want it).
   */
  host?: { platform: Platform | undefined; node: string };
}

export function choosePlatform(recipe: Recipe, requested: string | undefined): Platform {
  if (requested === undefined) return recipe.platforms[0]!;
  if (!(recipe.platforms as string[]).includes(requested)) {
    throw new BundleError("USAGE", `platform ${requested} is not one of this recipe's platforms (${recipe.platforms.join(", ")})`, {
      hint: `use --platform ${recipe.platforms[0]}`,
    });
  }
  return requested as Platform;
}

export async function makePlan({ loaded, platform, lock: givenLock, host }: PlanInputs): Promise<Plan> {
  const r = loaded.recipe;
  const target = makeTarget(platform, r.python.version, r.python.glibc);
  const lockFile = r.wheels?.lock ? loaded.resolveFile(["wheels", "lock"], r.wheels.lock) : undefined;
  const lock = givenLock === undefined ? (lockFile ? await readLock(lockFile, loaded.locate(["wheels", "lock"])) : undefined) : (givenLock ?? undefined);
  const lp = lock?.platforms[platform];
  const problems: string[] = [];
  // Wheels were chosen for the lock's Python (tags, markers): another version makes it stale.
  if (lp && lock!.python !== r.python.version) problems.push(`the lock was made for Python ${lock!.python}; the recipe now says ${r.python.version}`);
  problems.push(...lockDrift(r, platform, lp));
  const artifacts: PlanArtifact[] = [];
  const at = (path: (string | number)[]) => loaded.locate(path);
  const hashed = (id: string, path: (string | number)[], a: RecipeDownload) => download(r, lp, id, a, at(path));

  if (r.launcher.icon) await mustExist(loaded, ["launcher", "icon"], r.launcher.icon, "the launcher icon");
  if (r.verify?.workflow !== undefined) await readWorkflow(loaded);
  const runtime: RuntimeArtifact = { id: "python", kind: "python", name: "python", version: r.python.version, dest: "python", ...hashed("python", ["python", platform], r.python[platform]!) };
  artifacts.push(runtime);
  const git = r.git?.[platform];
  if (git) artifacts.push({ id: "git", kind: "git", name: "git", dest: "git", ...hashed("git", ["git", platform], git) });

  artifacts.push(...(await wheelArtifacts(loaded, target, lp, problems)));

  r.repos.forEach((repo, i) => {
    const urls = expandUrl(repo.url, r.mirrors);
    artifacts.push({ id: `repo:${repo.path}`, kind: "repo", name: repo.path, dest: repo.path, urls, commit: repo.commit, origin: repo.origin ?? withoutCredentials(urls[0]!), ...(repo.tag ? { tag: repo.tag } : {}), locked: true, source: at(["repos", i]) });
  });
  r.extensions?.items.forEach((ext, i) => {
    const name = extensionName(ext);
    const urls = expandUrl(ext.url, r.mirrors);
    artifacts.push({ id: `extension:${name}`, kind: "extension", name, dest: `${r.extensions!.dir}/${name}`, urls, commit: ext.commit, origin: withoutCredentials(urls[0]!), locked: true, source: at(["extensions", "items", i]) });
  });
  r.files.forEach((f, i) => {
    const id = `file:${f.path}`;
    const name = f.path.split("/").pop()!;
    if (f.text !== undefined) {
      const sha256 = createHash("sha256").update(f.text).digest("hex");
      artifacts.push({ id, kind: "file", name, dest: f.path, urls: [], text: f.text, sha256, size: Buffer.byteLength(f.text), locked: true, source: at(["files", i]) });
    } else artifacts.push({ id, kind: "file", name, dest: f.path, ...hashed(id, ["files", i], { url: f.url!, sha256: f.sha256!, size: f.size }) });
  });
  const node = r.launcher.node[platform]!;
  const nodeVersion = nodeVersionOf(node.url);
  const launcherNode: LauncherNodeArtifact = {
    id: "node", kind: "node", role: "launcher", name: "node", ...(nodeVersion ? { version: nodeVersion } : {}),
    dest: r.launcher.name + PLATFORM_FACTS[platform].exe, ...hashed("node", ["launcher", "node", platform], node),
  };
  artifacts.push(launcherNode);
  const hostNode = host && nodeVersion ? hostNodeArtifact(loaded, lock, platform, nodeVersion, host) : undefined;
  if (hostNode) artifacts.push(hostNode);

  const state: LockState = !lockFile ? "none" : !lock ? "missing" : !lp || problems.length > 0 ? "stale" : "fresh";
  if (lockFile && lock && !lp) problems.push(`the lock has no entry for ${platform}`);
  return {
    recipe: { name: r.name, version: r.version, title: r.title ?? r.name, file: loaded.file },
    platform,
    bundleName: `${r.name}-${r.version}-${platform}`,
    target,
    artifacts,
    lock: { ...(lockFile ? { file: shownPath(lockFile) } : {}), state, problems },
  };
}

type RecipeDownload = { url: string; sha256: string; size?: number | undefined };

/** A recipe download: its URLs through the mirror lists, and its sha256 from the recipe or, when that says "lock", from the lock. */
function download(r: Recipe, pins: LockPlatform | undefined, id: string, a: RecipeDownload, source: PlanArtifact["source"]): Download & { source: PlanArtifact["source"] } {
  const fromLock = a.sha256 === LOCK_PLACEHOLDER ? pins?.artifacts[id] : undefined;
  const sha256 = a.sha256 === LOCK_PLACEHOLDER ? fromLock?.sha256 : a.sha256;
  const size = a.size ?? fromLock?.size;
  const urls = expandUrl(a.url, r.mirrors);
  return { urls, ...(size ? { size } : {}), ...(sha256 ? { locked: true, sha256 } : { locked: false }), source };
}

/** The Node version a nodejs.org archive URL names (…/v24.21.0/node-v24.21.0-…), if it names one. */
function nodeVersionOf(url: string): string | undefined {
  return /v?(\d+\.\d+\.\d+)/.exec(url)?.[1];
}

/**
 * The build machine's Node archive, when the launcher needs it: the launcher is for another
 * platform and greenbundle runs on another Node version than the launcher's, so the SEA blob must
 * be written by a Node of that version that runs here (src/launcher/sea.ts, chooseGenerator).
 * Only an archive of the same version serves; without one the launcher stage explains what to do.
 * Its hash comes from the recipe or from the host platform's part of the lock.
 */
function hostNodeArtifact(loaded: LoadedRecipe, lock: LockFile | undefined, target: Platform, version: string, host: NonNullable<PlanInputs["host"]>): HostNodeArtifact | undefined {
  const hp = host.platform;
  const spec = hp ? loaded.recipe.launcher.node[hp] : undefined;
  if (!hp || hp === target || host.node === `v${version}` || !spec || nodeVersionOf(spec.url) !== version) return undefined;
  const d = download(loaded.recipe, lock?.platforms[hp], "node", spec, loaded.locate(["launcher", "node", hp]));
  return { id: "node:host", kind: "node", role: "host", name: `node (${hp} build machine)`, platform: hp, version, ...d };
}

/** The plan's artifacts of one kind, typed as that kind. */
export function ofKind<K extends ArtifactKind>(plan: Plan, kind: K): ArtifactOfKind<K>[] {
  return plan.artifacts.filter((a): a is ArtifactOfKind<K> => a.kind === kind);
}

/** The target's Node archive every plan has (the recipe requires launcher.node.<platform>). */
export function launcherNodeOf(plan: Plan): LauncherNodeArtifact {
  const a = ofKind(plan, "node").find((x): x is LauncherNodeArtifact => x.role === "launcher");
  if (!a) throw new Error(`the plan of ${plan.bundleName} has no launcher Node artifact`);
  return a;
}

/** The build machine's Node archive, when the plan needs one (see hostNodeArtifact). */
export function hostNodeOf(plan: Plan): HostNodeArtifact | undefined {
  return ofKind(plan, "node").find((x): x is HostNodeArtifact => x.role === "host");
}

/** A file the recipe names that the build reads (not downloads) must be there: said at plan time, at its position. */
async function mustExist(loaded: LoadedRecipe, path: (string | number)[], value: string, what: string): Promise<void> {
  const abs = loaded.resolveFile(path, value);
  const ok = await stat(abs).then((s) => s.isFile(), () => false);
  if (!ok) {
    throw new BundleError("RECIPE", `${what} ${shownPath(abs)} is not a file`, {
      diagnostics: [{ ...loaded.locate(path), path: path.join("."), message: `${shownPath(abs)} does not exist or is not a file`, hint: "the path is relative to the recipe that names it" }],
    });
  }
}


