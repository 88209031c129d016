// The lock step of `bundle build` and `bundle fetch`, as `cargo build` and `uv sync` do it: a lock
// file that is missing or stale (pins, Python version, indexes or a "lock" hash changed) is
// resolved exactly as `bundle lock` would, written, and said; then the command goes on.
// `--locked` keeps the strict meaning: such a lock is an error before anything is downloaded or
// written. `--offline` cannot resolve anything: the error names what is unresolved.

import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import type { Platform } from "../core/platform.ts";
import { lockRecipe } from "../lock/lock.ts";
import { makePlan, type Plan } from "../plan/plan.ts";
import type { LoadedRecipe } from "../recipe/load.ts";
import { lockedProblems, lockRequiredError } from "./gather.ts";

export interface LockStepOptions {
  loaded: LoadedRecipe;
  /** The platform being built or fetched (for `--locked`, the only one that must be fresh). */
  platform: Platform;
  cacheDir: string;
  locked?: boolean;
  offline?: boolean;
  jobs?: number;
  emit: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface LockStep {
  /** fresh: nothing to do; written: the lock was (re)resolved; none: the recipe names no lock file. */
  action: "fresh" | "written" | "none";
  /** The lock file as shown to the user. */
  file?: string;
  /** Why it was resolved: one line per problem, per platform. */
  reasons: string[];
  platforms: Platform[];
}

/**
 * `--offline` cannot resolve anything. A missing lock leaves every wheel and "lock" hash unpinned,
 * and the offline check lists those with everything else the cache lacks. A stale lock looks
 * usable but is not: the error names what changed and what is unresolved.
 */
function offlineLock(plan: Plan): LockStep {
  const file = plan.lock.file!;
  if (plan.lock.state !== "stale") return { action: plan.lock.state === "fresh" ? "fresh" : "none", file, reasons: platformReasons(plan), platforms: [] };
  const reasons = platformReasons(plan);
  throw new BundleError("NOT_LOCKED", `--offline: the lock file ${file} is stale for ${plan.platform}, and resolving it needs the network:\n${reasons.map((r) => `  ${r}`).join("\n")}`, {
    hint: `run \`bundle lock ${plan.recipe.file}\` (or this command without --offline) once with network access, then work offline`,
    details: { unresolved: reasons },
  });
}

/** What keeps one platform's lock from being used as it is; empty when it is fresh and pins everything. */
function platformReasons(plan: Plan): string[] {
  const out: string[] = [];
  if (plan.lock.state === "missing") out.push(`the lock file ${plan.lock.file} does not exist`);
  else if (plan.lock.state === "stale") out.push(...plan.lock.problems);
  if (plan.lock.state !== "missing") {
    for (const a of plan.artifacts.filter((x) => !x.locked)) out.push(`${a.id} has no pinned sha256 (${a.source.file}:${a.source.line}:${a.source.col})`);
  }
  return out;
}

export async function ensureLock(o: LockStepOptions): Promise<LockStep> {
  const file = o.loaded.file;
  let plan: Plan;
  try {
    plan = await makePlan({ loaded: o.loaded, platform: o.platform });
  } catch (e) {
    // A damaged lock (bad JSON, unknown format): `bundle lock` replaces it, so a build does too.
    if (!(e instanceof BundleError) || e.code !== "NOT_LOCKED") throw e;
    if (o.locked) throw lockRequiredError(file, o.platform, [e.message]);
    return relock(o, [...o.loaded.recipe.platforms], [e.message], undefined);
  }
  if (o.locked) {
    const problems = lockedProblems(plan);
    if (problems.length) throw lockRequiredError(file, o.platform, problems);
    return { action: "fresh", ...(plan.lock.file ? { file: plan.lock.file } : {}), reasons: [], platforms: [] };
  }
  // No lock file named: there is nowhere to write one; what stays unpinned is reported by the fetch.
  if (plan.lock.state === "none") return { action: "none", reasons: [], platforms: [] };
  if (o.offline) return offlineLock(plan);
  const stale: Platform[] = [];
  const reasons: string[] = [];
  for (const p of o.loaded.recipe.platforms) {
    const why = platformReasons(p === o.platform ? plan : await makePlan({ loaded: o.loaded, platform: p }));
    if (!why.length) continue;
    stale.push(p);
    if (plan.lock.state === "missing") continue;
    reasons.push(`the lock file ${plan.lock.file} is stale for ${p}:`, ...why.map((w) => `  ${w}`));
  }
  if (!stale.length) return { action: "fresh", file: plan.lock.file!, reasons: [], platforms: [] };
  if (plan.lock.state === "missing") reasons.push(`the lock file ${plan.lock.file} does not exist`);
  return relock(o, stale, reasons, plan.lock.file);
}

async function relock(o: LockStepOptions, platforms: Platform[], reasons: string[], shown: string | undefined): Promise<LockStep> {
  const file = o.loaded.file;
  if (o.offline) {
    throw new BundleError("NOT_LOCKED", `--offline: the lock of ${file} cannot be read, and resolving it needs the network:\n${reasons.map((r) => `  ${r}`).join("\n")}`, {
      hint: `run \`bundle lock ${file}\` (or this command without --offline) once with network access, then work offline`,
    });
  }
  o.emit({
    type: "warning",
    message: reasons.join("\n"),
    hint: `resolving it now as \`bundle lock ${file}\` would, for ${platforms.join(", ")}; \`bundle build --locked\` refuses a stale lock and a missing one`,
  });
  const report = await lockRecipe({
    loaded: o.loaded,
    platforms,
    cacheDir: o.cacheDir,
    emit: o.emit,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.jobs ? { jobs: o.jobs } : {}),
  });
  for (const w of report.warnings) o.emit({ type: "warning", message: w });
  const counts = report.stats.map((s) => `${s.platform}: ${s.wheels} wheel(s), ${s.artifacts} pinned artifact(s)`).join("; ");
  o.emit({ type: "info", message: `${report.changed ? "wrote" : "unchanged:"} the lock file ${report.file || shown} (${counts})` });
  return { action: "written", file: report.file || shown || file, reasons, platforms };
}
