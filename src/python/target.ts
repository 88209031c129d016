// The target interpreter described as data (STYLE.md habit 1): version, ABI, marker environment and
// scheme paths come from the platform name and the recipe's python version, never from the
// running process. Wheel tag priorities live in tags.ts.

import type { Platform } from "../core/platform.ts";
import type { MarkerEnv } from "./pep508.ts";

export interface Scheme {
  /** Folders relative to the bundle root, '/'-separated. */
  purelib: string;
  platlib: string;
  scripts: string;
  data: string;
  headers: string;
}

export interface Target {
  platform: Platform;
  /** Full version, e.g. "3.10.6". */
  pythonVersion: string;
  /** "310" for 3.10. */
  nodot: string;
  implementation: "cp";
  abi: string;
  /** Newest manylinux glibc allowed (linux-x64), e.g. [2, 28]. */
  glibc: [number, number];
  markers: MarkerEnv;
  scheme: Scheme;
  /** Interpreter path relative to the bundle root. */
  python: string;
}

export const DEFAULT_GLIBC = "2.28";

export function makeTarget(platform: Platform, pythonVersion: string, glibc = DEFAULT_GLIBC): Target {
  const [maj, min] = pythonVersion.split(".");
  const short = `${maj}.${min}`;
  const nodot = `${maj}${min}`;
  const [gMaj, gMin] = glibc.split(".").map(Number) as [number, number];
  const common = {
    platform_python_implementation: "CPython",
    python_version: short,
    python_full_version: pythonVersion,
    implementation_name: "cpython",
    implementation_version: pythonVersion,
    platform_version: "",
  };
  if (platform === "win-x64") {
    const site = "python/Lib/site-packages";
    return {
      platform, pythonVersion, nodot, implementation: "cp", abi: `cp${nodot}`, glibc: [gMaj, gMin],
      markers: { ...common, os_name: "nt", sys_platform: "win32", platform_system: "Windows", platform_machine: "AMD64", platform_release: "10" },
      scheme: { purelib: site, platlib: site, scripts: "python/Scripts", data: "python", headers: `python/Include/site/python${short}` },
      python: "python/python.exe",
    };
  }
  const site = `python/lib/python${short}/site-packages`;
  return {
    platform, pythonVersion, nodot, implementation: "cp", abi: `cp${nodot}`, glibc: [gMaj, gMin],
    markers: { ...common, os_name: "posix", sys_platform: "linux", platform_system: "Linux", platform_machine: "x86_64", platform_release: "" },
    scheme: { purelib: site, platlib: site, scripts: "python/bin", data: "python", headers: `python/include/python${short}` },
    python: "python/bin/python3",
  };
}
