// The state one verify run carries from stage to stage (verify.ts, verify-boot.ts).

import type { BundleJson } from "../contract/bundle-json.ts";
import type { Emit } from "../core/events.ts";
import type { Platform } from "../core/platform.ts";
import type { VerifyApi } from "./api.ts";
import type { TorchFacts } from "./gpu.ts";
import type { Isolation } from "./isolation.ts";
import type { VerifyReport } from "./report-types.ts";
import type { Tree } from "./tree.ts";

export type GpuMode = "auto" | "require" | "off";

export interface VerifyOptions {
  input: string;
  gpu: GpuMode;
  /** Seconds for readiness and for the generation (default: bundle.json verify.timeout, else 900). */
  timeoutS?: number;
  /** Report folder (default `<cwd>/dist/verify-<name>-<version>-<platform>`). */
  reportDir?: string;
  keep?: boolean;
  /** The host's platform: a bundle for another one cannot be booted here (only the CLI asks the OS). */
  hostPlatform: Platform | undefined;
  /** How to name this machine in messages when it is no platform we build for (e.g. "darwin-arm64"); default: its platform. */
  hostLabel?: string;
  /** Whether this host may try network namespaces (Linux). */
  allowNetns: boolean;
  cwd: string;
  /** Environment of the run; the launcher and the app inherit it. */
  env: NodeJS.ProcessEnv;
  toolVersion: string;
  emit?: Emit;
  signal?: AbortSignal;
  /** Where the awkward work folder is made (default the OS temp folder; TMPDIR moves it). */
  tmpRoot?: string;
  /** An update file (`bundle delta`): applied to the unpacked release through its launcher before the checks. */
  update?: string;
}

export interface Run {
  opts: VerifyOptions;
  emit: Emit;
  report: VerifyReport;
  /** The work folder (awkward path) and the bundle root inside it. */
  work?: string;
  root?: string;
  /** The unpacked archive's single top folder ("" when its files lay at the top); null for a folder given as it is. */
  top?: string | null;
  bj?: BundleJson;
  /** The verify API bundle.json names (verify.api), from the registry. */
  api?: VerifyApi;
  before?: Tree;
  iso?: Isolation;
  torch: TorchFacts | null;
  png?: Buffer;
  log?: string;
  /** A folder the API's steps wrote into (relative): allowed to change. */
  outDir?: string;
}

/** Thrown inside the run when nothing more can be checked; the report still gets written. */
export class Halt extends Error {}

/** Seconds since `t` (a performance.now() value), to the millisecond. */
export const since = (t: number) => Math.round(performance.now() - t) / 1000;
