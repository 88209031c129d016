// `bundle build`: recipe → plan → everything the plan lists into the cache →
// assemble `dist/.<bundle>.partial-<pid>/` (Python tree, portable Git, repositories, files,
// launcher, notices, README, bundle.json) → portability lint → rename to `dist/<bundle>/` →
// pack. An interrupted build leaves no `dist/<bundle>/` half-made: the partial folder is removed
// on the way out, or by the next build when the process was killed.

import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { acquireLock } from "../cache/lock.ts";
import type { ArchiveFormat } from "../contract/registry-names.ts";
import { BundleError, describeError, interrupted, isBundleError } from "../core/errors.ts";
import { silent, type Emit } from "../core/events.ts";
import { replaceDir } from "../core/fs.ts";
import { PLATFORM_FACTS, type Host, type Platform } from "../core/platform.ts";
import { choosePlatform, hostNodeOf, launcherNodeOf, makePlan, type Plan } from "../plan/plan.ts";
import type { LockFile } from "../python/lockfile.ts";
import { loadRecipe, type LoadedRecipe } from "../recipe/load.ts";
import { bundleJsonHead } from "./bundle-json.ts";
import { BUNDLE_FORMAT, BUNDLE_JSON, parseBundleJson, serializeBundleJson, type BundleJson, type Component, type ManifestEntry } from "../contract/bundle-json.ts";
import { collectComponents, withLicenses, withTreeDigests } from "./components.ts";
import { cleanStale, diskError, hostCaseProblems, outLockPath, partialDir, prepareOutDir } from "./dist.ts";
import type { UnmetNeed } from "./extensions.ts";
import { gather, type Gathered } from "./gather.ts";
import { formatFinding, lintPaths, type LintFinding } from "./lint.ts";
import { buildManifest, walkTree, type WalkEntry } from "./manifest.ts";
import { signingFromEnv, type SignOptions } from "../launcher/sign.ts";
import { loadLauncher, loadPack, loadPythonTree } from "./optional.ts";
import { refuseEscapingLinks, type LinkStrategy } from "./place.ts";
import { ensureLock, type LockStep } from "./auto-lock.ts";
import { checkNativeFiles } from "./native-check.ts";
import { reportBytecode, type BytecodeStep } from "./bytecode.ts";
import { checkExtensionNeeds, nodeNotice, placeAllFiles, placeAllRepos, placePortableGit, repoArtifacts, sourceDate, writeNotices, writeReadme } from "./steps.ts";

/** A release archive format, or "dir": the bundle folder only. */
export type BuildFormat = ArchiveFormat | "dir";

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
   * The machine running the build (the CLI passes it). Building a launcher for another platform
   * needs a Node of the target's version that runs here: the recipe's launcher.node archive for
   * this host is then part of the plan and fetched with the rest.
   */
  host?: Host;
  /** The same, when only the platform is given (tests): the running Node is taken as the host's. */
  hostPlatform?: Platform;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Authenticode signing of a Windows launcher; default: from BUNDLE_SIGN_CERT/_KEY/_PASS. Signed at the source date, so that the result stays reproducible. */
  sign?: Omit<SignOptions, "time">;
}

/** One archive: its file, or its volumes in order (package.split), each with its sha256. */
export interface BuiltArchive {
  format: ArchiveFormat;
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
  /** The launcher was taken from the cache (built before from the same inputs); undefined: no launcher. */
  launcherCached?: boolean | undefined;
  /** Kept trees (runtime, wheels, repositories) made by this build; the others were linked from the cache. */
  kept: { made: string[]; linked: number };
  /** The shipped bytecode: what compiled it and how many files, or why none. */
  bytecode: BytecodeStep;
  /** What the lock step did (absent when a lock was passed in). */
  lock?: LockStep;
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
  // Signing settings are checked before any download: a wrong path fails now, not at the launcher stage.
  if (!o.sign) {
    const fromEnv = await signingFromEnv(o.env ?? process.env);
    if (fromEnv && signable(platform) && o.launcher !== false) o = { ...o, sign: fromEnv };
    else if (fromEnv) emit({ type: "warning", message: `BUNDLE_SIGN_CERT is set, but only Windows launchers are signed (Authenticode); the ${platform} launcher is not` });
  }
  // A missing or stale lock is resolved and written here (or, with --locked, refused before anything is written).
  const lock = o.lock !== undefined ? undefined : await ensureLock({ loaded, platform, cacheDir: o.cacheDir, emit, ...pick(o) });
  const host = o.host ?? (o.hostPlatform ? { platform: o.hostPlatform, node: process.version } : undefined);
  const plan = await makePlan({ loaded, platform, ...(o.lock !== undefined ? { lock: o.lock } : {}), ...(host ? { host } : {}) });
  const formats = o.format ? [o.format] : loaded.recipe.package.formats;
  const signal = o.signal ? { signal: o.signal } : {};
  const outDir = resolve(o.outDir);
  await prepareOutDir(outDir);
  const clash = await hostCaseProblems(loaded, platform, outDir);
  if (clash) throw clash;
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
    const started = performance.now();
    const a = await assemble(partial, work, plan, loaded, gathered, o, emit);
    const bundleDir = join(outDir, plan.bundleName);
    await replaceDir(partial, bundleDir);
    renamed = true;
    emit({ type: "stage", stage: "assemble", status: "done", detail: bundleDir, ms: performance.now() - started });
    const archives = await packAll(bundleDir, outDir, formats, plan, loaded.recipe.package, gathered, o, emit);
    return { bundleName: plan.bundleName, bundleDir, archives, bundleJson: a.bundleJson, bytecode: a.bytecode, kept: a.kept, launcherCached: a.launcherCached, downloaded: gathered.downloaded, ...(a.strategy ? { linkStrategy: a.strategy } : {}), placed: a.counts, unmet: a.unmet, lint: a.lint, warnings, ...(lock ? { lock } : {}) };
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

/** Authenticode signs PE files: Windows launchers only. */
function signable(p: Platform): boolean {
  return PLATFORM_FACTS[p].os === "windows";
}

function pick(o: BuildOptions) {
  return { ...(o.locked ? { locked: true } : {}), ...(o.offline ? { offline: true } : {}), ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}) };
}

async function assemble(root: string, work: string, plan: Plan, loaded: LoadedRecipe, g: Gathered, o: BuildOptions, emit: Emit) {
  const signal = o.signal ? { signal: o.signal } : {};
  const stage = async <T>(name: string, fn: () => Promise<T>, detail?: string): Promise<T> => {
    o.signal?.throwIfAborted();
    emit({ type: "stage", stage: name, status: "start", ...(detail ? { detail } : {}) });
    const started = performance.now();
    const r = await fn();
    emit({ type: "stage", stage: name, status: "done", ms: performance.now() - started });
    return r;
  };
  const buildPythonTree = await loadPythonTree();
  const tree = await stage("python", () => buildPythonTree({ plan, root, fetched: g.files, cacheDir: o.cacheDir, emit, ...signal, recipe: loaded.recipe, ...(o.env ? { env: o.env } : {}) }));
  const python = tree.components;
  await stage("native-check", () => checkNativeFiles(root, plan, python));
  const gitArchive = g.files.get("git");
  if (gitArchive) await stage("git", () => placePortableGit(root, gitArchive, plan, o.signal));
  const repos = await stage("repos", () => placeAllRepos(root, plan, g.repos, { cacheDir: o.cacheDir, maker: tree.maker, ...signal }), `${repoArtifacts(plan).length} repositories`);
  const made = [...tree.made, ...repos.made];
  emit({ type: "info", message: `kept trees: ${made.length ? `${made.length} made (${made.join(", ")})` : "none made"}, ${tree.linked.length + repos.linked.length} linked from the cache` });
  const files = await stage("files", () => placeAllFiles(root, plan, g.files, emit));
  const unmet = await stage("extension-needs", () => checkExtensionNeeds(root, plan, emit));
  const bytecode = reportBytecode([tree.bytecode, ...repos.bytecode], plan, emit);
  const launcher = await stage("launcher", () => buildLauncherStep(root, work, plan, loaded, g, o, emit));

  const launcherName = loaded.recipe.launcher.name + PLATFORM_FACTS[plan.platform].exe;
  let components = collectComponents({ plan, files: g.files, repos: g.repos, python, ...(launcher ? { launcher: { name: launcherName, size: launcher.size, sha256: launcher.sha256 } } : {}) });
  const nodeArt = launcherNodeOf(plan);
  const node = g.files.get(nodeArt.id);
  const extra = launcher && node ? [{ key: `node:${nodeArt.dest}`, section: await stage("node-notice", () => nodeNotice(node, nodeArt.version, o.cacheDir, o.signal)) }] : [];
  const licenses = await stage("notices", async () => {
    const l = await writeNotices(root, plan, components, extra);
    await writeReadme(root, plan, loaded.recipe.launcher.name);
    return l;
  });
  components = withLicenses(components, licenses);

  const { entries, lint } = await stage("lint", async () => {
    const entries = await walkTree(root);
    await refuseEscapingLinks(root, entries);
    return { entries, lint: checkPortability(entries, plan, emit) };
  });
  const manifest = await stage("manifest", () => buildManifest(root, entries, { known: new Map([...tree.known, ...repos.known, ...files.known]), exec: PLATFORM_FACTS[plan.platform].execBit, ...(o.jobs ? { jobs: o.jobs } : {}), emit, ...signal }));
  const compiled = bytecode.compiler && bytecode.compiled > 0 ? { python: bytecode.compiler.version, interpreter: bytecode.compiler.interpreter, files: bytecode.compiled } : undefined;
  // The 7-Zip that packs a .7z is a build fact: another 7-Zip would write other bytes.
  const formats = o.format ? [o.format] : loaded.recipe.package.formats;
  const sevenzip = formats.includes("7z") ? (await loadPack()).SEVEN_ZIP : undefined;
  const builder = { name: "greenbundle" as const, version: o.builderVersion, ...(compiled ? { bytecode: compiled } : {}), ...(sevenzip ? { sevenzip } : {}) };
  const bundleJson = await stage("bundle.json", () => writeBundleJson(root, plan, loaded, builder, withTreeDigests(components, manifest), manifest, emit));
  return { bundleJson, bytecode, kept: { made, linked: tree.linked.length + repos.linked.length }, launcherCached: launcher?.cached, unmet, lint, strategy: files.strategy, counts: files.counts };
}

/** Warnings become events; errors fail the build listing every offending path. */
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

async function writeBundleJson(root: string, plan: Plan, loaded: LoadedRecipe, builder: BundleJson["builder"], components: Component[], files: ManifestEntry[], emit: Emit): Promise<BundleJson> {
  const head = await bundleJsonHead(plan, loaded);
  for (const note of head.notes) emit({ type: "warning", message: `bundle.json gpu: ${note}` });
  const bundleJson: BundleJson = {
    format: BUNDLE_FORMAT,
    name: plan.recipe.name,
    version: plan.recipe.version,
    title: plan.recipe.title,
    platform: plan.platform,
    builder,
    components,
    launcher: head.launcher,
    ...(head.gpu ? { gpu: head.gpu } : {}),
    ...(head.verify ? { verify: head.verify } : {}),
    files,
  };
  const text = serializeBundleJson(bundleJson);
  try {
    // What the launcher and the verifier will refuse must never ship: check exactly what is written.
    parseBundleJson(text);
  } catch (e) {
    throw new BundleError("BUILD", `the ${BUNDLE_JSON} of ${plan.bundleName} would not be accepted by its launcher: ${describeError(e)}`, { hint: "this is a bug in greenbundle: please report it with the recipe", cause: e });
  }
  await writeFile(join(root, BUNDLE_JSON), text);
  return bundleJson;
}

async function buildLauncherStep(root: string, work: string, plan: Plan, loaded: LoadedRecipe, g: Gathered, o: BuildOptions, emit: Emit) {
  if (o.launcher === false) return undefined;
  const nodeArtifact = launcherNodeOf(plan);
  const node = g.files.get(nodeArtifact.id);
  if (!node || !nodeArtifact.version) {
    emit({ type: "warning", message: "the launcher was not built: launcher.node's URL names no Node version (…/v24.21.0/…)" });
    return undefined;
  }
  const buildLauncher = await loadLauncher();
  const icon = loaded.recipe.launcher.icon ? loaded.resolveFile(["launcher", "icon"], loaded.recipe.launcher.icon) : undefined;
  await mkdir(work, { recursive: true });
  // The plan lists the build machine's Node when the blob needs it; it was gathered with the rest.
  const hostNode = hostNodeOf(plan);
  const hostNodeArchive = hostNode ? g.files.get(hostNode.id)?.path : undefined;
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
    cache: { dir: o.cacheDir, nodeSha256: node.sha256, ...(hostNode && g.files.get(hostNode.id) ? { hostNodeSha256: g.files.get(hostNode.id)!.sha256 } : {}) },
    ...(o.sign && signable(plan.platform) ? { sign: { ...o.sign, time: await sourceDate(o.env ?? process.env, g.repos) } } : {}),
  });
}

async function packAll(bundleDir: string, outDir: string, formats: BuildFormat[], plan: Plan, pkg: { split?: string | undefined; level?: number | undefined }, g: Gathered, o: BuildOptions, emit: Emit): Promise<BuiltArchive[]> {
  const wanted = formats.filter((f): f is ArchiveFormat => f !== "dir");
  if (!wanted.length) return [];
  const pack = await loadPack();
  emit({ type: "stage", stage: "pack", status: "start", detail: wanted.join(", ") });
  const started = performance.now();
  const mtime = await sourceDate(o.env ?? process.env, g.repos);
  const archives: BuiltArchive[] = [];
  for (const format of wanted) {
    const { split, level } = pkg;
    const r = await pack.packBundle({ dir: bundleDir, out: join(outDir, plan.bundleName), format, mtime, ...(split ? { split } : {}), ...(level !== undefined ? { level } : {}), emit, ...(o.signal ? { signal: o.signal } : {}) });
    archives.push({ format, size: r.size, files: r.files.map((path, i) => ({ path, sha256: r.sha256[i]! })) });
  }
  // SHA256SUMS is shared by every bundle of the folder: one writer at a time, or an update is lost.
  const sums = await acquireLock(outLockPath(outDir, "SHA256SUMS"), o.signal ? { signal: o.signal } : {});
  try {
    await pack.writeSha256Sums(outDir, archives.flatMap((a) => a.files));
  } finally {
    if (sums !== "done") await sums.release();
  }
  emit({ type: "stage", stage: "pack", status: "done", ms: performance.now() - started });
  return archives;
}
