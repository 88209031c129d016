// Wheel file names and platform compatibility tags for a target given as data.
// Spec: "Binary distribution format" (file name) and "Platform compatibility tags" (PEP 425, PEP 600
// manylinux_x_y), in the order packaging.tags.sys_tags() yields them for CPython — best first.

import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { normalizeName } from "./pep508.ts";
import type { Target } from "./target.ts";

export interface WheelName {
  filename: string;
  /** PEP 503 normalised project name. */
  name: string;
  version: string;
  build?: string;
  pythonTags: string[];
  abiTags: string[];
  platformTags: string[];
}

/** Parses `{dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, or undefined when it is not one. */
export function parseWheelFilename(filename: string): WheelName | undefined {
  if (!filename.endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [dist, version] = parts as [string, string];
  const build = parts.length === 6 ? parts[2]! : undefined;
  if (build !== undefined && !/^\d/.test(build)) return undefined;
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  if (!dist || !version || !py || !abi || !plat) return undefined;
  return {
    filename,
    name: normalizeName(dist),
    version,
    ...(build !== undefined ? { build } : {}),
    pythonTags: py.split("."),
    abiTags: abi.split("."),
    platformTags: plat.split("."),
  };
}

// PEP 600 legacy aliases: manylinux1 = 2_5, manylinux2010 = 2_12, manylinux2014 = 2_17. An alias is
// yielded only where it exists for the architecture, which the loop below gets for free: aarch64
// starts at 2_17.
const LEGACY_MANYLINUX: Record<string, string> = { "2_5": "manylinux1", "2_12": "manylinux2010", "2_17": "manylinux2014" };

/** Platform tags of the target, best first. */
export function platformTags(target: Target): string[] {
  const tags = PLATFORM_FACTS[target.platform].python.wheelTags;
  if (tags.family === "fixed") return [...tags.tags];
  const [major, floor] = target.glibc;
  const out: string[] = [];
  // From the floor down to the architecture's oldest manylinux glibc (packaging src/packaging/_manylinux.py, platform_tags).
  for (let minor = floor; minor >= tags.oldestGlibcMinor; minor--) {
    out.push(`manylinux_${major}_${minor}_${tags.arch}`);
    const legacy = LEGACY_MANYLINUX[`${major}_${minor}`];
    if (legacy) out.push(`${legacy}_${tags.arch}`);
  }
  // Last: not portable in general, but what download.pytorch.org serves for Linux.
  out.push(`linux_${tags.arch}`);
  return out;
}

/** What the target's platform tags look like, for messages: "win_amd64", "manylinux_2_X_aarch64 or linux_aarch64". */
export function describePlatformTags(platform: Platform): string {
  const tags = PLATFORM_FACTS[platform].python.wheelTags;
  return tags.family === "fixed" ? tags.tags.join(" or ") : `manylinux_2_X_${tags.arch} or linux_${tags.arch}`;
}

/** Every tag the target accepts, as "python-abi-platform", best first (packaging.tags.cpython_tags + compatible_tags). */
export function targetTags(target: Target): string[] {
  const plats = platformTags(target);
  const minor = Number(target.pythonVersion.split(".")[1]);
  const cp = `cp3${minor}`;
  const out: string[] = [];
  for (const abi of [target.abi, "abi3", "none"]) for (const p of plats) out.push(`${cp}-${abi}-${p}`);
  // abi3 wheels built for older CPython 3 versions still load (PEP 384); packaging stops at cp32.
  for (let m = minor - 1; m >= 2; m--) for (const p of plats) out.push(`cp3${m}-abi3-${p}`);
  const pys = [`py3${minor}`, "py3", ...Array.from({ length: minor }, (_, i) => `py3${minor - 1 - i}`)];
  for (const py of pys) for (const p of plats) out.push(`${py}-none-${p}`);
  out.push(`${cp}-none-any`);
  for (const py of pys) out.push(`${py}-none-any`);
  return out;
}

const priorityCache = new WeakMap<Target, Map<string, number>>();

function priorities(target: Target): Map<string, number> {
  let m = priorityCache.get(target);
  if (!m) {
    m = new Map(targetTags(target).map((t, i) => [t, i]));
    priorityCache.set(target, m);
  }
  return m;
}

export type TagMatch = { ok: true; priority: number; tag: string } | { ok: false; reason: string };

/** The wheel's best priority for the target (lower is better), or why it does not fit. */
export function matchWheel(target: Target, wheel: WheelName): TagMatch {
  const prio = priorities(target);
  let best: { priority: number; tag: string } | undefined;
  for (const py of wheel.pythonTags)
    for (const abi of wheel.abiTags)
      for (const plat of wheel.platformTags) {
        const tag = `${py}-${abi}-${plat}`;
        const p = prio.get(tag);
        if (p !== undefined && (!best || p < best.priority)) best = { priority: p, tag };
      }
  return best ? { ok: true, ...best } : { ok: false, reason: whyNot(target, wheel) };
}

/** A short reason a wheel does not fit: platform first (the usual case), then python/ABI tags. */
function whyNot(target: Target, wheel: WheelName): string {
  const plats = new Set(platformTags(target));
  if (!wheel.platformTags.some((p) => plats.has(p) || p === "any")) {
    const tags = PLATFORM_FACTS[target.platform].python.wheelTags;
    const newer = tags.family === "manylinux" ? wheel.platformTags.map((p) => /^manylinux_(\d+)_(\d+)_(\w+)$/.exec(p)).find((m) => m?.[3] === tags.arch && newerGlibc([Number(m[1]), Number(m[2])], target.glibc)) : undefined;
    if (newer) return `needs glibc ${newer[1]}.${newer[2]}, newer than the floor ${target.glibc.join(".")} (python.glibc)`;
    return `built for ${wheel.platformTags.join(".")}; ${target.platform} needs ${describePlatformTags(target.platform)}`;
  }
  const cp = `cp${target.nodot}`;
  const minor = Number(target.nodot.slice(1));
  const pyOk = wheel.pythonTags.some((t) => {
    const m = /^(cp|py)3(\d*)$/.exec(t);
    if (!m) return false;
    if (m[1] === "py") return m[2] === "" || Number(m[2]) <= minor;
    return Number(m[2]) === minor || (Number(m[2]) < minor && wheel.abiTags.includes("abi3"));
  });
  if (!pyOk) return `built for ${wheel.pythonTags.join("/")}; ${cp} needed`;
  return `ABI ${wheel.abiTags.join(".")} does not load in CPython ${target.pythonVersion} (${target.abi})`;
}

function newerGlibc(a: [number, number], floor: readonly [number, number]): boolean {
  return a[0] > floor[0] || (a[0] === floor[0] && a[1] > floor[1]);
}
