// The target interpreter described as data: version, ABI, marker environment and scheme paths come
// from the platform's facts and the recipe's python version, never from the running process.
// Wheel tag priorities live in tags.ts.

import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
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
  /** Newest manylinux glibc allowed (platforms with manylinux wheel tags), e.g. [2, 28]. */
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
  const py = PLATFORM_FACTS[platform].python;
  const at = (folder: string) => folder.replaceAll("{X.Y}", short);
  const s = py.scheme;
  return {
    platform,
    pythonVersion,
    nodot,
    implementation: "cp",
    abi: `cp${nodot}`,
    glibc: [gMaj, gMin],
    markers: {
      platform_python_implementation: "CPython",
      python_version: short,
      python_full_version: pythonVersion,
      implementation_name: "cpython",
      implementation_version: pythonVersion,
      platform_version: "",
      ...py.markers,
    },
    scheme: { purelib: at(s.purelib), platlib: at(s.platlib), scripts: at(s.scripts), data: at(s.data), headers: at(s.headers) },
    python: py.interpreter,
  };
}
