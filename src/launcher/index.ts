// Building the launcher executable for one platform: the runtime
// bundled into one script, a SEA blob written by a Node of the target's exact version, put into
// the recipe's Node base binary (Linux: postject; Windows: resedit, together with version info,
// icon and no stale signature, then optional Authenticode signing). Byte-identical for the
// same inputs, wherever it is built.

import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { Cache } from "../cache/index.ts";
import { hashFile } from "../integrity/sha256.ts";
import { dirname, join } from "node:path";
import { BundleError } from "../core/errors.ts";
import { silent, type Emit } from "../core/events.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";
import { hostPlatform, PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { extractNodeBinary } from "./node-binary.ts";
import { launcherScript, launcherSourceDigest } from "./script.ts";
import { chooseGenerator, flipSeaFuse, injectBlob, makeSeaBlob, seaFuseFlipped } from "./sea.ts";
import { signWindowsExe, type SignOptions } from "./sign.ts";
import { editWindowsResources, type ExeMeta } from "./win-resources.ts";

export interface BuildLauncherOptions {
  platform: Platform;
  /** Cache blob path of the nodejs.org archive for `platform` (the recipe's launcher.node artifact). */
  nodeArchive: string;
  /** Its Node version, e.g. "24.21.0" (the plan's "node" artifact version). */
  nodeVersion: string;
  /** The executable's path in the bundle (`<bundle>/launcher` or `<bundle>/launcher.exe`). */
  out: string;
  meta: ExeMeta;
  /** Scratch folder; may be removed afterwards. */
  workDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  /** Authenticode certificate for Windows launchers (osslsigncode). */
  sign?: SignOptions;
  /**
   * A nodejs.org archive of the same Node version for the machine running the build. Needed only
   * to build for another platform while greenbundle itself runs on a different Node version.
   */
  hostNodeArchive?: string;
  /**
   * The download cache: a launcher built from the same inputs is taken from it instead of being
   * built again (esbuild, the blob, postject or the resource edit, the signature). The digests of
   * the Node archives are the ones the cache already knows them by.
   */
  cache?: { dir: string; nodeSha256: string; hostNodeSha256?: string };
}

export interface BuiltLauncher {
  size: number;
  sha256: string;
  /** Taken from the cache (same inputs), not built. */
  cached: boolean;
}

/**
 * The cache key of a launcher: everything its bytes depend on — the target, the Node base binary
 * (archive digest and version) and the one that writes the blob, the launcher program's sources,
 * the executable's title, version, name and icon, and the signing certificate, key and time.
 */
export async function launcherKey(o: BuildLauncherOptions & { cache: NonNullable<BuildLauncherOptions["cache"]> }): Promise<string> {
  const h = createHash("sha256");
  const put = (k: string, v: string | undefined) => h.update(`${k}=${v ?? ""}\n`);
  put("platform", o.platform);
  put("node", `${o.nodeVersion} ${o.cache.nodeSha256}`);
  put("host-node", o.cache.hostNodeSha256);
  // The blob writer: this process's Node when it is of the target's version (see chooseGenerator).
  put("running-node", process.version);
  put("program", await launcherSourceDigest());
  put("meta", JSON.stringify({ title: o.meta.title, version: o.meta.version, name: o.meta.name }));
  put("icon", o.meta.icon ? (await hashFile(o.meta.icon)).sha256 : undefined);
  if (o.sign) {
    put("sign-cert", (await hashFile(o.sign.cert)).sha256);
    put("sign-key", o.sign.key ? (await hashFile(o.sign.key)).sha256 : undefined);
    put("sign-time", o.sign.time ? String(o.sign.time.getTime()) : "now");
  }
  return `launcher:v1:${h.digest("hex")}`;
}

const TASK = "launcher";

/** The Node binary that writes the blob (see chooseGenerator). */
async function generatorBinary(o: BuildLauncherOptions, targetBinary: string): Promise<string> {
  // The host matters here, and only here: the blob writer has to run on this machine.
  const host = hostPlatform();
  const choice = chooseGenerator(o.platform, host, o.nodeVersion, process.version, o.hostNodeArchive !== undefined);
  if (choice instanceof BundleError) throw choice;
  if (choice.kind === "self") return process.execPath;
  if (choice.kind === "target") return targetBinary;
  const hostBinary = join(o.workDir, `node-host${PLATFORM_FACTS[host!].exe}`);
  await extractNodeBinary(o.hostNodeArchive!, host!, o.nodeVersion, hostBinary);
  await chmod(hostBinary, 0o755);
  return hostBinary;
}

/** Windows: blob, resources and fuse in memory, then the optional signature. */
async function windowsExecutable(o: BuildLauncherOptions, targetBinary: string, blob: Buffer, tmp: string): Promise<Buffer> {
  let exe = await editWindowsResources(await readFile(targetBinary), o.meta, blob);
  flipSeaFuse(exe);
  await writeFile(tmp, exe);
  if (o.sign) {
    await signWindowsExe(tmp, o.sign, o.meta.title, o.signal);
    exe = await readFile(tmp);
  }
  return exe;
}

/** Linux: postject adds the blob as an ELF note and flips the fuse. */
async function linuxExecutable(o: BuildLauncherOptions, targetBinary: string, blob: Buffer, tmp: string): Promise<Buffer> {
  await copyFile(targetBinary, tmp);
  await injectBlob(tmp, blob, o.signal);
  await chmod(tmp, 0o755);
  const exe = await readFile(tmp);
  if (!seaFuseFlipped(exe)) throw new BundleError("BUILD", `the launcher ${tmp} was built without its SEA fuse set`, { hint: "this is a bug in greenbundle: please report it" });
  return exe;
}

async function build(o: BuildLauncherOptions, emit: Emit, tmp: string): Promise<Buffer> {
  const major = Number(o.nodeVersion.split(".")[0]);
  await mkdir(join(o.workDir, "sea"), { recursive: true });
  await mkdir(dirname(o.out), { recursive: true });
  const targetBinary = join(o.workDir, `node-${o.platform}${PLATFORM_FACTS[o.platform].exe}`);
  await extractNodeBinary(o.nodeArchive, o.platform, o.nodeVersion, targetBinary);
  await chmod(targetBinary, 0o755);
  emit({ type: "task:progress", id: TASK, done: 1, total: 3, detail: "Node base binary extracted" });
  o.signal?.throwIfAborted();
  const script = await launcherScript(major);
  const blob = await makeSeaBlob({ script, dir: join(o.workDir, "sea"), generator: await generatorBinary(o, targetBinary), signal: o.signal });
  emit({ type: "task:progress", id: TASK, done: 2, total: 3, detail: "SEA blob written" });
  o.signal?.throwIfAborted();
  // Windows executables are PE files (resources edited in place); the rest are ELF (postject).
  return PLATFORM_FACTS[o.platform].os === "windows" ? windowsExecutable(o, targetBinary, blob, tmp) : linuxExecutable(o, targetBinary, blob, tmp);
}

export async function buildLauncher(o: BuildLauncherOptions): Promise<BuiltLauncher> {
  const emit = o.emit ?? silent;
  if (!/^\d+\.\d+\.\d+$/.test(o.nodeVersion) || Number(o.nodeVersion.split(".")[0]) < 22) {
    throw new BundleError("BUILD", `the launcher needs a Node base binary of version 22 or later, with a full version; got "${o.nodeVersion}"`, { hint: "use a node-v24.x.y archive for launcher.node in the recipe" });
  }
  emit({ type: "task:start", id: TASK, title: `launcher for ${o.platform} (Node ${o.nodeVersion})`, total: 3 });
  const tmp = tmpSibling(o.out);
  try {
    // A signature made at "now" differs at every build: such a launcher is never taken from the cache.
    const cacheable = o.cache && !(o.sign && !o.sign.time);
    const cache = cacheable ? new Cache(o.cache!.dir) : undefined;
    const key = cache ? await launcherKey(o as Parameters<typeof launcherKey>[0]) : undefined;
    const hit = cache && key ? await cache.lookup(key) : undefined;
    if (cache && hit) {
      await mkdir(dirname(o.out), { recursive: true });
      // A copy (a clone where the disk can), not a link: the bundle's launcher is executable, the cache's blob read-only.
      await copyFile(cache.blobPath(hit), tmp, constants.COPYFILE_FICLONE);
      await chmod(tmp, 0o755);
      await renameRetry(tmp, o.out);
      const size = (await cache.blobSize(hit))!;
      emit({ type: "task:done", id: TASK, detail: `${o.out} (${(size / 2 ** 20).toFixed(1)} MiB, from the cache: same Node, program, resources and signature)` });
      return { size, sha256: hit, cached: true };
    }
    const exe = await build(o, emit, tmp);
    await renameRetry(tmp, o.out);
    if (cache && key) await cache.importFile(o.out, { key });
    emit({ type: "task:done", id: TASK, detail: `${o.out} (${(exe.length / 2 ** 20).toFixed(1)} MiB)` });
    return { size: exe.length, sha256: createHash("sha256").update(exe).digest("hex"), cached: false };
  } catch (e) {
    emit({ type: "task:failed", id: TASK, reason: e instanceof Error ? e.message : String(e) });
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

export { chooseGenerator } from "./sea.ts";
export { numericVersion, type ExeMeta } from "./win-resources.ts";
export type { SignOptions } from "./sign.ts";
