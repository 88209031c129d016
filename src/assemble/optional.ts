// The stages other modules provide (Python tree, launcher, packing), loaded lazily (STYLE.md
// habit 12: pkg, tar and yazl stay unloaded until a build needs them). Their contracts are
// written down here as types so that build.ts is checked against them.

import type { Emit } from "../core/events.ts";
import type { Platform } from "../core/platform.ts";
import type { Fetched } from "../fetch/types.ts";
import type { Plan } from "../plan/plan.ts";
import type { Recipe } from "../recipe/schema.ts";
import type { Component } from "./bundle-json.ts";

export interface PythonTreeArgs {
  plan: Plan;
  root: string;
  fetched: Map<string, Fetched>;
  cacheDir: string;
  emit: Emit;
  signal?: AbortSignal;
  recipe: Recipe;
}
export type BuildPythonTree = (a: PythonTreeArgs) => Promise<{ components: Component[] }>;

export interface LauncherArgs {
  platform: Platform;
  nodeArchive: string;
  nodeVersion: string;
  out: string;
  /** name: the launcher file name without extension (launcher.name). */
  meta: { title: string; version: string; name: string; icon?: string };
  workDir: string;
  emit: Emit;
  signal?: AbortSignal;
}
export type BuildLauncher = (a: LauncherArgs) => Promise<{ size: number; sha256: string }>;

// Typed imports: tsc checks that these stages still fit the contracts above.
export const loadPythonTree = async (): Promise<BuildPythonTree> => (await import("../python/tree.ts")).buildPythonTree;
export const loadLauncher = async (): Promise<BuildLauncher> => (await import("../launcher/index.ts")).buildLauncher;
export const loadPack = () => import("../pack/index.ts");
