// `bundle build` (DESIGN.md "Pipeline", issue 5 §8): recipe → plan → everything into the cache →
// assemble `dist/.<bundle>.partial-<pid>/` (Python tree, portable Git, repositories, files,
// launcher, notices, README, bundle.json) → portability lint → rename to `dist/<bundle>/` →
// pack. An interrupted build leaves no `dist/<bundle>/` half-made: the partial folder is removed
// on the way out, or by the next build when the process was killed.

import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { acquireLock } from "../cache/lock.ts";
import { BundleError, describeError, interrupted, isBundleError } from "../core/errors.ts";
import { silent, type Emit } from "../core/events.ts";
import { replaceDir } from "../core/fs.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { fetchOne } from "../fetch/index.ts";
import { readLock } from "../python/lockfile.ts";
import { expandUrl } from "../recipe/mirrors.ts";
import { LOCK_PLACEHOLDER } from "../recipe/schema.ts";
import { choosePlatform, makePlan, type Plan } from "../plan/plan.ts";
import type { LockFile } from "../python/lockfile.ts";
import { loadRecipe, type LoadedRecipe } from "../recipe/load.ts";
import { BUNDLE_FORMAT, BUNDLE_JSON, resolveLauncherConfig, serializeBundleJson, type BundleJson, type Component, type ManifestEntry } from "./bundle-json.ts";
import { collectComponents, withLicenses, withTreeDigests } from "./components.ts";
import { cleanStale, outLockPath, partialDir, prepareOutDir } from "./dist.ts";
import type { UnmetNeed } from "./extensions.ts";
import { gather, type Gathered } from "./gather.ts";
import { formatFinding, lintPaths, type LintFinding } from "./lint.ts";
import { buildManifest, walkTree, type WalkEntry } from "./manifest.ts";
import { signingFromEnv, type SignOptions } from "../launcher/sign.ts";
import { loadLauncher, loadPack, loadPythonTree } from "./optional.ts";
import { refuseEscapingLinks, type LinkStrategy } from "./place.ts";
import { checkExtensionNeeds, nodeNotice, placeAllFiles, placeAllRepos, placePortableGit, repoArtifacts, sourceDate, writeNotices, writeReadme } from "./steps.ts";

export type BuildFormat = "zip" | "tar.gz" | "dir";

export interface BuildOptions {
  recipe: string;
  platform?: string;
  cacheDir: string;
  outDir: string;
  offline?: boolean;
  /** Overrides the recipe's package.formats. */
  format?: BuildFormat;
  locked?: boolean;
  jobs?: number;
  /** Large-file downloads: ranged connections per file, and the size above which they are used. */
  segments?: number;
  segmentThreshold?: number;
  /** Build the launcher (default true; tests of assembly alone turn it off). */
  launcher?: boolean;
  /** A pre-read lock (tests); otherwise the recipe's wheels.lock is read. */
  lock?: LockFile | null;
  /** Version written as builder.version in bundle.json. */
  builderVersion: string;
  /**
   * The platform of the machine running the build (the CLI passes it). Building a launcher for
   * another platform needs a Node of the target's version that runs here: the recipe's
   * launcher.node archive for this host is then fetched as well.
   */
  hostPlatform?: Platform;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Authenticode signing of a win-x64 launcher; default: from BUNDLE_SIGN_CERT/_KEY/_PASS. Signed at the source date, so that the result stays reproducible. */
  sign?: Omit<SignOptions, "time">;
}

/** One archive: its file, or its volumes in order (package.split), each with its sha256. */
export interface BuiltArchive {
  format: "zip" | "tar.gz";
  files: { path: string; sha256: string }[];
  /** Total bytes. */
  size: number;
}

export interface BuildResult {
  bundleName: string;
  bundleDir: string;
  archives: BuiltArchive[];
  bundleJson: BundleJson;
  downloaded: number;
  linkStrategy?: LinkStrategy;
  placed: Record<LinkStrategy, number>;
  unmet: UnmetNeed[];
  lint: LintFinding[];
  warnings: string[];
}

export async function buildBundle(o: BuildOptions): Promise<BuildResult> {
  const warnings: string[] = [];
  const outer = o.emit ?? silent;
  const emit: Emit = (e) => {
    if (e.type === "warning") warnings.push(e.message);
    outer(e);
  };
  const loaded = await loadRecipe(o.recipe);
  const platform = choosePlatform(loaded.recipe, o.platform);
  const plan = await makePlan({ loaded, platform, ...(o.lock !== undefined ? { lock: o.lock } : {}) });
  // Signing settings are checked before any download: a wrong path fails now, not at the launcher stage.
  if (!o.sign) {
    const fromEnv = await signingFromEnv(o.env ?? process.env);
    if (fromEnv && platform === "win-x64" && o.launcher !== false) o = { ...o, sign: fromEnv };
    else if (fromEnv) emit({ type: "warning", message: `BUNDLE_SIGN_CERT is set, but only win-x64 launchers are signed; the ${platform} launcher is not` });
  }
  const formats = o.format ? [o.format] : loaded.recipe.package.formats;
  const signal = o.signal ? { signal: o.signal } : {};
  const outDir = resolve(o.outDir);
  await prepareOutDir(outDir);
  const gathered = await gather(plan, { cacheDir: o.cacheDir, emit, ...signal, ...(o.offline ? { offline: true } : {}), ...(o.locked ? { locked: true } : {}), ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.segments ? { segments: o.segments } : {}), ...(o.segmentThreshold !== undefined ? { segmentThreshold: o.segmentThreshold } : {}), ...(o.env ? { env: o.env } : {}) });

  // Two builds of one bundle into one folder: the second waits, instead of replacing the folder
  // under the first one's packer (which then failed, or could pack a mix of two trees).
  await mkdir(outDir, { recursive: true });
  const held = await acquireLock(outLockPath(outDir, plan.bundleName), {
    ...signal,
    onWait: (h) => emit({ type: "info", message: `another build${h ? ` (pid ${h.pid})` : ""} is writing ${plan.bundleName} in ${outDir}; waiting for it` }),
  });
  const partial = partialDir(outDir, plan.bundleName);
  const work = `${partial}.work`;
  let renamed = false;
  try {
    await cleanStale(outDir, emit);
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial);
    const a = await assemble(partial, work, plan, loaded, gathered, o, emit);
    const bundleDir = join(outDir, plan.bundleName);
    await replaceDir(partial, bundleDir);
    renamed = true;
    emit({ type: "stage", stage: "assemble", status: "done", detail: bundleDir });
    const archives = await packAll(bundleDir, outDir, formats, plan, loaded.recipe.package.split, gathered, o, emit);
    return { bundleName: plan.bundleName, bundleDir, archives, bundleJson: a.bundleJson, downloaded: gathered.downloaded, ...(a.strategy ? { linkStrategy: a.strategy } : {}), placed: a.counts, unmet: a.unmet, lint: a.lint, warnings };
  } catch (e) {
    if (o.signal?.aborted) {
      // Once renamed, the bundle folder is finished and stays; only the archive is missing.
      const left = renamed ? `the bundle folder ${join(outDir, plan.bundleName)} is complete, its archive was not written` : `nothing was left in ${outDir}`;
      throw interrupted(e, `build of ${plan.bundleName} interrupted; ${left}`, "run the same build again: downloads and the cache are kept");
    }
    throw diskError(e, plan.bundleName, outDir);
  } finally {
    // Never let the clean-up's own failure replace the error that ended the build; a stage may
    // still be flushing a write when it lands here, hence the retries. A leftover is removed by
    // the next build (its pid is gone by then).
    const clean = (p: string) => rm(p, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => emit({ type: "warning", message: `could not remove ${p}; the next build removes it` }));
    await clean(work);
    if (!renamed) await clean(partial);
    if (held !== "done") await held.release();
  }
}

/** A raw file-system error (a full disk while placing files) is the disk's trouble, not a bug in greenbundle. */
function diskError(e: unknown, bundle: string, outDir: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (isBundleError(e) || !code || !/^E[A-Z]+$/.test(code)) return e;
  return new BundleError("IO", `build of ${bundle} failed on a file-system error: ${describeError(e)}`, {
    hint:
      code === "ENOSPC" || code === "EDQUOT"
        ? `the disk is full: free some space (or use --out on a bigger disk than ${outDir}) and build again`
        : "check the path in the message: free space, permissions, and that nothing else changes it during the build",
    cause: e,
  });
}

async function assemble(root: string, work: string, plan: Plan, loaded: LoadedRecipe, g: Gathered, o: BuildOptions, emit: Emit) {
  const signal = o.signal ? { signal: o.signal } : {};
  const stage = async <T>(name: string, fn: () => Promise<T>, detail?: string): Promise<T> => {
    o.signal?.throwIfAborted();
    emit({ type: "stage", stage: name, status: "start", ...(detail ? { detail } : {}) });
    const r = await fn();
    emit({ type: "stage", stage: name, status: "done" });
    return r;
  };
  const buildPythonTree = await loadPythonTree();
  const python = await stage("python", async () => (await buildPythonTree({ plan, root, fetched: g.files, cacheDir: o.cacheDir, emit, ...signal, recipe: loaded.recipe })).components);
  const gitArchive = g.files.get("git");
  if (gitArchive) await stage("git", () => placePortableGit(root, gitArchive, plan, o.signal));
  await stage("repos", () => placeAllRepos(root, plan, g.repos, o.signal), `${repoArtifacts(plan).length} repositories`);
  const files = await stage("files", () => placeAllFiles(root, plan, g.files, emit));
  const unmet = await checkExtensionNeeds(root, plan, emit);
  const launcher = await stage("launcher", () => buildLauncherStep(root, work, plan, loaded, g, o, emit));

  const launcherName = loaded.recipe.launcher.name + PLATFORM_FACTS[plan.platform].exe;
  let components = collectComponents({ plan, files: g.files, repos: g.repos, python, ...(launcher ? { launcher: { name: launcherName, ...launcher } } : {}) });
  const node = g.files.get("node");
  const nodeArt = plan.artifacts.find((x) => x.id === "node");
  const extra = launcher && node && nodeArt ? [{ key: `node:${nodeArt.dest}`, section: await nodeNotice(node, nodeArt.version, work, o.signal) }] : [];
  const licenses = await stage("notices", () => writeNotices(root, plan, components, extra));
  components = withLicenses(components, licenses);
  await writeReadme(root, plan, loaded.recipe.launcher.name);

  const entries = await walkTree(root);
  await refuseEscapingLinks(root, entries);
  const lint = checkPortability(entries, plan, emit);
  const manifest = await stage("manifest", () => buildManifest(root, entries, { known: files.known, exec: plan.platform !== "win-x64", ...(o.jobs ? { jobs: o.jobs } : {}), emit, ...signal }));
  const bundleJson = await writeBundleJson(root, plan, loaded, o.builderVersion, withTreeDigests(components, manifest), Boolean(gitArchive), manifest);
  return { bundleJson, unmet, lint, strategy: files.strategy, counts: files.counts };
}

/** Warnings become events; errors fail the build listing every offending path (issue 5 §7). */
function checkPortability(entries: WalkEntry[], plan: Plan, emit: Emit): LintFinding[] {
  const lint = lintPaths(entries, plan.platform);
  for (const f of lint.filter((x) => x.severity === "warning")) emit({ type: "warning", message: `portability: ${formatFinding(f)}` });
  const errors = lint.filter((x) => x.severity === "error");
  if (errors.length) {
    const shown = errors.slice(0, 50).map((f) => `  ${formatFinding(f)}`);
    if (errors.length > 50) shown.push(`  … and ${errors.length - 50} more`);
    throw new BundleError("BUILD", `${plan.bundleName} cannot be unzipped intact on Windows (${errors.length} problem(s)):\n${shown.join("\n")}`, {
      hint: "rename or move these files (recipe paths), or drop them from the recipe",
      details: { lint: errors },
    });
  }
  return lint;
}

async function writeBundleJson(root: string, plan: Plan, loaded: LoadedRecipe, builderVersion: string, components: Component[], hasGit: boolean, files: ManifestEntry[]): Promise<BundleJson> {
  const bundleJson: BundleJson = {
    format: BUNDLE_FORMAT,
    name: plan.recipe.name,
    version: plan.recipe.version,
    title: plan.recipe.title,
    platform: plan.platform,
    builder: { name: "greenbundle", version: builderVersion },
    components,
    launcher: resolveLauncherConfig({ recipe: loaded.recipe, platform: plan.platform, python: plan.target.python, hasGit, repos: repoArtifacts(plan).map((a) => a.dest) }),
    ...(loaded.recipe.verify ? { verify: loaded.recipe.verify } : {}),
    files,
  };
  await writeFile(join(root, BUNDLE_JSON), serializeBundleJson(bundleJson));
  return bundleJson;
}

async function buildLauncherStep(root: string, work: string, plan: Plan, loaded: LoadedRecipe, g: Gathered, o: BuildOptions, emit: Emit) {
  if (o.launcher === false) return undefined;
  const node = g.files.get("node");
  const nodeArtifact = plan.artifacts.find((a) => a.id === "node");
  if (!node || !nodeArtifact?.version) {
    emit({ type: "warning", message: "the launcher was not built: launcher.node's URL names no Node version (…/v24.21.0/…)" });
    return undefined;
  }
  const buildLauncher = await loadLauncher();
  const icon = loaded.recipe.launcher.icon ? loaded.resolveFile(["launcher", "icon"], loaded.recipe.launcher.icon) : undefined;
  await mkdir(work, { recursive: true });
  const hostNodeArchive = await hostNode(loaded, nodeArtifact.version, plan.platform, o, emit);
  return buildLauncher({
    platform: plan.platform,
    nodeArchive: node.path,
    nodeVersion: nodeArtifact.version,
    out: join(root, loaded.recipe.launcher.name + PLATFORM_FACTS[plan.platform].exe),
    meta: { title: plan.recipe.title, version: plan.recipe.version, name: loaded.recipe.launcher.name, ...(icon ? { icon } : {}) },
    workDir: work,
    emit,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(hostNodeArchive ? { hostNodeArchive } : {}),
    ...(o.sign && plan.platform === "win-x64" ? { sign: { ...o.sign, time: await sourceDate(o.env ?? process.env, g.repos) } } : {}),
  });
}

/**
 * The recipe's Node archive for the build machine, when the launcher is for another platform and
 * greenbundle runs on a different Node version (the SEA blob must be written by the target's
 * exact version). Undefined when not needed or when the recipe has no archive for this host;
 * the launcher stage then explains what to do.
 */
async function hostNode(loaded: LoadedRecipe, version: string, target: Platform, o: BuildOptions, emit: Emit): Promise<string | undefined> {
  const host = o.hostPlatform;
  const spec = host ? loaded.recipe.launcher.node[host] : undefined;
  if (!host || host === target || process.version === `v${version}` || !spec) return undefined;
  const lockFile = loaded.recipe.wheels?.lock ? loaded.resolveFile(["wheels", "lock"], loaded.recipe.wheels.lock) : undefined;
  const locked = spec.sha256 === LOCK_PLACEHOLDER && lockFile ? (await readLock(lockFile))?.platforms[host]?.artifacts.node : undefined;
  const sha256 = spec.sha256 === LOCK_PLACEHOLDER ? locked?.sha256 : spec.sha256;
  if (!sha256) return undefined;
  const size = spec.size ?? locked?.size;
  const got = await fetchOne(
    { id: `node (${host}, to build the ${target} launcher)`, urls: expandUrl(spec.url, loaded.recipe.mirrors), sha256, ...(size ? { size } : {}) },
    { cacheDir: o.cacheDir, offline: o.offline ?? false, emit, ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}) },
  );
  return got.path;
}

async function packAll(bundleDir: string, outDir: string, formats: BuildFormat[], plan: Plan, split: string | undefined, g: Gathered, o: BuildOptions, emit: Emit): Promise<BuiltArchive[]> {
  const wanted = formats.filter((f): f is "zip" | "tar.gz" => f !== "dir");
  if (!wanted.length) return [];
  const pack = await loadPack();
  emit({ type: "stage", stage: "pack", status: "start", detail: wanted.join(", ") });
  const mtime = await sourceDate(o.env ?? process.env, g.repos);
  const archives: BuiltArchive[] = [];
  for (const format of wanted) {
    const r = await pack.packBundle({ dir: bundleDir, out: join(outDir, plan.bundleName), format, mtime, ...(split ? { split } : {}), emit, ...(o.signal ? { signal: o.signal } : {}) });
    archives.push({ format, size: r.size, files: r.files.map((path, i) => ({ path, sha256: r.sha256[i]! })) });
  }
  // SHA256SUMS is shared by every bundle of the folder: one writer at a time, or an update is lost.
  const sums = await acquireLock(outLockPath(outDir, "SHA256SUMS"), o.signal ? { signal: o.signal } : {});
  try {
    await pack.writeSha256Sums(outDir, archives.flatMap((a) => a.files));
  } finally {
    if (sums !== "done") await sums.release();
  }
  emit({ type: "stage", stage: "pack", status: "done" });
  return archives;
}
