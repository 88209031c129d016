// bundle fetch <recipe> [--platform P] [--cache DIR] [--offline] [--jobs N] [--json]
// Brings every file-like artifact of the plan into the cache, verified (issue 3 §8). Artifacts
// whose hash is not pinned yet are fetched last — never: everything else is fetched first, then
// one NOT_LOCKED error lists them all.

import { cacheDirFrom } from "../../cache/index.ts";
import { BundleError } from "../../core/errors.ts";
import { fetchAll, planRequests, type Fetched } from "../../fetch/index.ts";
import { choosePlatform, makePlan, type PlanArtifact } from "../../plan/plan.ts";
import { loadRecipe } from "../../recipe/load.ts";
import { intFlag } from "../args.ts";
import type { CliContext } from "../context.ts";
import { fmtBytes } from "../render.ts";

export async function run(ctx: CliContext): Promise<number> {
  const jobs = intFlag(ctx.flags, "jobs", 8); // a usage error before any work
  const loaded = await loadRecipe(ctx.args[0]!);
  const platform = choosePlatform(loaded.recipe, ctx.flags.platform as string | undefined);
  const plan = await makePlan({ loaded, platform });
  const { requests, unlocked } = planRequests(plan);
  const cacheDir = cacheDirFrom(ctx.flags, ctx.env, ctx.cwd);
  const offline = ctx.flags.offline === true;
  ctx.emit({ type: "stage", stage: "fetch", status: "start", detail: `${requests.length} artifact(s) of ${plan.bundleName} into ${cacheDir}${offline ? " (offline)" : ""}` });
  let got: Map<string, Fetched>;
  try {
    got = await fetchAll(requests, { cacheDir, offline, jobs, emit: ctx.emit, signal: ctx.signal, env: ctx.env });
  } catch (e) {
    if (e instanceof BundleError && unlocked.length) {
      throw new BundleError(e.code, e.message, { hint: `${e.hint ? `${e.hint}\n      ` : ""}also: ${notLockedMessage(unlocked, plan.recipe.file)}`, cause: e.cause, details: e.details });
    }
    throw e;
  }
  ctx.emit({ type: "stage", stage: "fetch", status: "done" });
  const list = [...got.values()];
  const fresh = list.filter((f) => !f.cached);
  if (ctx.json) {
    ctx.out(JSON.stringify({ bundle: plan.bundleName, cache: cacheDir, downloaded: fresh.length, bytes: fresh.reduce((n, f) => n + f.size, 0), artifacts: list, unlocked: unlocked.map((a) => a.id) }, null, 2));
  } else {
    ctx.out(`fetched ${list.length} artifact(s) of ${plan.bundleName} into ${cacheDir}: ${fresh.length} downloaded (${fmtBytes(fresh.reduce((n, f) => n + f.size, 0))}), ${list.length - fresh.length} already cached`);
    if (ctx.verbose) for (const f of list) ctx.out(`  ${f.id}  ${f.sha256.slice(0, 12)}  ${fmtBytes(f.size)}  ${f.url}`);
  }
  if (unlocked.length) {
    throw new BundleError("NOT_LOCKED", notLockedMessage(unlocked, plan.recipe.file), {
      hint: `run \`bundle lock ${plan.recipe.file}\` (it resolves wheels and pins the hashes written as "lock"), then fetch again`,
      details: { unlocked: unlocked.map((a) => ({ id: a.id, source: `${a.source.file}:${a.source.line}:${a.source.col}` })) },
    });
  }
  return 0;
}

function notLockedMessage(unlocked: PlanArtifact[], recipe: string): string {
  const lines = unlocked.slice(0, 20).map((a) => `  ${a.id} (${a.source.file}:${a.source.line}:${a.source.col})`);
  if (unlocked.length > 20) lines.push(`  … and ${unlocked.length - 20} more`);
  return `${unlocked.length} artifact(s) of ${recipe} have no pinned sha256 yet, so they were not fetched:\n${lines.join("\n")}`;
}
