// The builder's side of bundle.json: the launcher configuration resolved from the recipe for
// one platform. The file's types, checks and serialisation are the contract in
// src/contract/bundle-json.ts, shared with the launcher and `bundle verify`.

import { withoutCredentials } from "../core/errors.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import type { GpuFacts, LauncherConfig, VerifyBlock } from "../contract/bundle-json.ts";
import { gpuFactsOfPlan } from "../plan/gpu-facts.ts";
import { isRepo, type Plan } from "../plan/plan.ts";
import type { Recipe } from "../recipe/schema.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { verifyBlockFor } from "./verify-block.ts";

export interface LauncherInputs {
  recipe: {
    title?: string | undefined;
    name: string;
    version: string;
    mirrors: Record<string, string[]>;
    wheels?: { indexes: string[] } | undefined;
    launcher: {
      name: string;
      cwd?: string | undefined;
      command: string[];
      port: number;
      ready?: string | undefined;
      env?: Record<string, string> | undefined;
      gpu?: { cpu?: string[] | undefined; vram?: { below_gb?: number | undefined; args: string[] }[] | undefined } | undefined;
    };
  };
  platform: Platform;
  /** Interpreter relative to the bundle root (the target's python path). */
  python: string;
  /** Whether the bundle carries a portable git. */
  hasGit: boolean;
  /** Folders of every placed repository and extension. */
  repos: string[];
}

export function resolveLauncherConfig(i: LauncherInputs): LauncherConfig {
  const l = i.recipe.launcher;
  const firstIndex = i.recipe.wheels?.indexes[0];
  // Written into the bundle for end users: never with the maintainer's credentials.
  const firstUrl = firstIndex ? i.recipe.mirrors[firstIndex]?.[0] : undefined;
  const pipIndexUrl = firstUrl === undefined ? undefined : withoutCredentials(firstUrl);
  return {
    name: l.name,
    title: i.recipe.title ?? i.recipe.name,
    version: i.recipe.version,
    cwd: l.cwd ?? "",
    command: [...l.command],
    port: l.port,
    ...(l.ready !== undefined ? { ready: l.ready } : {}),
    env: sortedRecord(l.env ?? {}),
    gpu: {
      cpu: [...(l.gpu?.cpu ?? [])],
      vram: (l.gpu?.vram ?? []).map((v) => (v.below_gb !== undefined ? { below_gb: v.below_gb, args: [...v.args] } : { args: [...v.args] })),
    },
    python: i.python,
    git: i.hasGit ? PLATFORM_FACTS[i.platform].bundledGit : null,
    repos: [...i.repos].sort(),
    ...(pipIndexUrl ? { pipIndexUrl } : {}),
  };
}

function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!]));
}

/** What a build of `plan` writes into bundle.json besides components and files (`bundle plan --json` shows it too). */
export interface BundleJsonHead {
  launcher: LauncherConfig;
  gpu?: GpuFacts;
  verify?: VerifyBlock;
  /** Why a gpu fact could not be recorded (build warnings). */
  notes: string[];
}

export async function bundleJsonHead(plan: Plan, loaded: LoadedRecipe): Promise<BundleJsonHead> {
  const recipe = loaded.recipe;
  const repos = plan.artifacts.filter(isRepo).map((a) => a.dest);
  const hasGit = plan.artifacts.some((a) => a.kind === "git");
  const launcher = resolveLauncherConfig({ recipe, platform: plan.platform, python: plan.target.python, hasGit, repos });
  const gpu = gpuFactsOfPlan(plan.artifacts, plan.platform, recipe.launcher.gpu?.requires);
  const verify = await verifyBlockFor(loaded, plan.platform);
  return { launcher, ...(gpu.facts ? { gpu: gpu.facts } : {}), ...(verify ? { verify } : {}), notes: gpu.notes };
}
