// Source-only packages: an sdist is built once into a wheel with the host's Python
// (`pip wheel --no-deps --no-build-isolation`, build requirements pinned by the recipe put on
// PYTHONPATH), and the wheel is cached under the sdist's sha256. A wheel that is not pure Python
// is refused when the target is not the host platform: it would carry the host's binaries.

import { cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OWN_GROUP, tieGroup } from "../core/children.ts";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { platformOfSysconfig, type Platform } from "../core/platform.ts";
import { extractArchive } from "../pack/extract.ts";
import { openZip, readZipEntry } from "../pack/zip-read.ts";
import { parseWheelFile } from "./metadata.ts";
import { normalizeName } from "./pep508.ts";
import { Cache } from "./net.ts";
import { versionMatches } from "./select.ts";
import { matchWheel, parseWheelFilename } from "./tags.ts";
import type { Target } from "./target.ts";

export interface HostInfo {
  python: string;
  version: string;
  /** The host as a greenbundle platform, when it is one (from sysconfig.get_platform()). */
  platform?: Platform;
}

export interface SdistBuild {
  /** The verified sdist (a cache blob: no file name of its own). */
  sdist: string;
  sdistSha256: string;
  /** The sdist's file name (pip needs the extension), e.g. jsonmerge-1.8.0.tar.gz. */
  sdistFilename: string;
  name: string;
  version: string;
  target: Target;
  cacheDir: string;
  /** Wheels of the pinned build requirements (setuptools==69.5.1, …), put on PYTHONPATH. */
  buildWheels?: string[];
  /** Host interpreter (default $BUNDLE_HOST_PYTHON, else python3). */
  python?: string;
  env?: NodeJS.ProcessEnv;
  emit?: Emit;
  signal?: AbortSignal;
}

export interface BuiltSdistWheel {
  path: string;
  filename: string;
  sha256: string;
  size: number;
  cached: boolean;
}

const hosts = new Map<string, Promise<HostInfo>>();

export function hostPythonName(env: NodeJS.ProcessEnv = process.env, given?: string): string {
  return given ?? env.BUNDLE_HOST_PYTHON ?? "python3";
}

/** Version and platform of the host Python, asked of that Python (not of this process). */
export function hostInfo(python: string): Promise<HostInfo> {
  let p = hosts.get(python);
  if (!p) {
    p = (async () => {
      const { execa } = await import("execa");
      const r = await execa(python, ["-c", "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]); print(sysconfig.get_platform())"], { reject: false });
      if (r.exitCode !== 0) throw new BundleError("BUILD", `cannot run the host Python "${python}" to build source packages`, { hint: "install Python 3 with pip and setuptools, or set BUNDLE_HOST_PYTHON" });
      const [version, plat] = String(r.stdout).trim().split("\n");
      const platform = platformOfSysconfig(plat ?? "");
      return { python, version: version!, ...(platform ? { platform } : {}) };
    })();
    hosts.set(python, p);
  }
  return p;
}

export function sdistCacheKey(sdistSha256: string, buildWheels: readonly string[] = []): string {
  return `sdist-wheel:v1:${sdistSha256}:${[...buildWheels].sort().join(",")}`;
}

export async function buildSdist(o: SdistBuild): Promise<BuiltSdistWheel> {
  const cache = new Cache(o.cacheDir);
  const host = await hostInfo(hostPythonName(o.env, o.python));
  const key = sdistCacheKey(o.sdistSha256, (o.buildWheels ?? []).map((p) => p.split(/[\\/]/).pop()!));
  const hit = await cache.lookup(key);
  if (hit) {
    const path = cache.blobPath(hit);
    const filename = await wheelFilenameOf(path);
    checkFits(o, filename, host);
    return { path, filename, sha256: hit, size: (await cache.blobSize(hit))!, cached: true };
  }
  const work = await mkdtemp(join(tmpdir(), "gb-sdist-"));
  try {
    await mkdir(join(work, "src"));
    await cp(o.sdist, join(work, "src", o.sdistFilename));
    const env: NodeJS.ProcessEnv = { ...(o.env ?? process.env), SOURCE_DATE_EPOCH: "315532800", PYTHONDONTWRITEBYTECODE: "1", PIP_NO_INPUT: "1" };
    if (o.buildWheels?.length) {
      // Pure build requirements only need to be importable: unpack them side by side.
      for (const w of o.buildWheels) await extractArchive(w, join(work, "buildenv"), { format: "zip" });
      env.PYTHONPATH = join(work, "buildenv");
    }
    o.emit?.({ type: "task:start", id: `sdist:${o.name}`, title: `build ${o.name}==${o.version} from source with Python ${host.version}` });
    const { execa } = await import("execa");
    const args = ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--isolated", "--no-index", "--disable-pip-version-check", "-w", join(work, "out"), join(work, "src", o.sdistFilename)];
    // pip runs the build backend in a child, and the backend its compilers: stopping the build stops them all.
    const sub = execa(host.python, args, { env, extendEnv: false, reject: false, all: true, cwd: work, ...OWN_GROUP });
    const untie = tieGroup(sub.pid, o.signal);
    const r = await sub.finally(untie);
    o.signal?.throwIfAborted();
    if (r.exitCode !== 0) {
      const tail = String(r.all ?? "").split("\n").slice(-15).join("\n");
      throw new BundleError("BUILD", `building ${o.name}==${o.version} from ${o.sdistFilename} failed (pip wheel exit ${r.exitCode}):\n${tail}`, {
        hint: "pin the build requirements it needs in wheels.build_requires (e.g. setuptools<70 for setup.py files importing pkg_resources)",
      });
    }
    const built = (await readdir(join(work, "out"))).filter((f) => f.endsWith(".whl"));
    if (built.length !== 1) throw new BundleError("BUILD", `building ${o.sdistFilename} produced ${built.length} wheels (one expected)`);
    const filename = built[0]!;
    const w = parseWheelFilename(filename);
    if (!w || w.name !== normalizeName(o.name) || !versionMatches(w.version, o.version)) {
      throw new BundleError("BUILD", `${o.sdistFilename} built ${filename}, not ${o.name}==${o.version}`, { hint: "the sdist URL or the pinned version in the requirements is wrong" });
    }
    // Cached before the check: the build is valid; only its use for this target may be refused.
    const stored = await cache.importFile(join(work, "out", filename), { key, from: o.sdistSha256 });
    checkFits(o, filename, host);
    o.emit?.({ type: "task:done", id: `sdist:${o.name}`, detail: filename });
    return { path: stored.path, filename, sha256: stored.sha256, size: stored.size, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Pure wheels go anywhere; a platform wheel only into a target that is the host and whose tags it fits. */
function checkFits(o: SdistBuild, filename: string, host: HostInfo): void {
  const w = parseWheelFilename(filename)!;
  const pure = w.abiTags.every((a) => a === "none") && w.platformTags.every((p) => p === "any");
  if (pure) return;
  if (host.platform !== o.target.platform) {
    throw new BundleError("BUILD", `${o.name}==${o.version} is not pure Python: building it on this ${host.platform ?? "unknown"} machine gave ${filename}, which cannot go into a ${o.target.platform} bundle`, {
      hint: `find a ${o.target.platform} wheel for it (wheels.packages.${normalizeName(o.name)}.indexes), or build the bundle on a ${o.target.platform} machine`,
    });
  }
  const m = matchWheel(o.target, w);
  if (!m.ok) throw new BundleError("BUILD", `${o.name}==${o.version} built as ${filename} with the host's Python ${host.version}, which does not fit the target: ${m.reason}`, { hint: `use a host Python ${o.target.pythonVersion} (BUNDLE_HOST_PYTHON)` });
}

/** A wheel's canonical file name, from its .dist-info folder and WHEEL tags (cache blobs have no name). */
export async function wheelFilenameOf(path: string): Promise<string> {
  const { zip, items } = await openZip(path);
  try {
    const wheelItem = items.find((i) => /^[^/]+\.dist-info\/WHEEL$/.test(i.name));
    if (!wheelItem) throw new BundleError("CACHE", `${path} is not a wheel (no .dist-info/WHEEL)`);
    const stem = wheelItem.name.split("/")[0]!.replace(/\.dist-info$/, "");
    const tags = parseWheelFile((await readZipEntry(path, zip, wheelItem)).toString("utf8")).tags.map((t) => t.split("-"));
    const part = (i: number) => [...new Set(tags.map((t) => t[i]!))].sort().join(".");
    return `${stem}-${part(0)}-${part(1)}-${part(2)}.whl`;
  } finally {
    zip.close();
  }
}
