// bundle fetch <recipe> [--platform P] [--cache DIR] [--offline] [--locked] [--jobs N] [--json]
// Brings everything the plan needs into the cache, verified: every download (what the bundle holds
// and what only the build uses), and every repository and extension commit into the git cache, so
// that a later `build --offline` on this machine finds it all. A missing or stale lock is first
// resolved and written, as `bundle build` does (`--locked` refuses instead). Artifacts whose hash
// cannot be pinned (the recipe names no lock file) are never fetched: everything else is fetched
// first, then one NOT_LOCKED error lists them all.

import { ensureLock } from "../../assemble/auto-lock.ts";
import { repoRequests } from "../../assemble/gather.ts";
import { cacheDirFrom } from "../../cache/index.ts";
import { BundleError, describeError } from "../../core/errors.ts";
import { fetchAll, type Fetched, type FetchOptions } from "../../fetch/index.ts";
import { planRequests } from "../../plan/requests.ts";
import { missingCommits, type FetchedRepo, type RepoRequest } from "../../git/cache.ts";
import { fetchRepos } from "../../git/repos.ts";
import { thisHost } from "../../core/platform.ts";
import { choosePlatform, makePlan, type PlanArtifact } from "../../plan/plan.ts";
import { loadRecipe } from "../../recipe/load.ts";
import { intFlag, segmentFlags } from "../args.ts";
import type { CliContext } from "../context.ts";
import { fmtBytes } from "../render.ts";

export async function run(ctx: CliContext): Promise<number> {
  const jobs = intFlag(ctx.flags, "jobs", 8); // a usage error before any work
  const tuning = segmentFlags(ctx.flags);
  const loaded = await loadRecipe(ctx.args[0]!);
  const platform = choosePlatform(loaded.recipe, ctx.flags.platform as string | undefined);
  const cacheDir = cacheDirFrom(ctx.flags, ctx.env, ctx.cwd);
  const offline = ctx.flags.offline === true;
  const lock = await ensureLock({ loaded, platform, cacheDir, locked: ctx.flags.locked === true, offline, jobs, emit: ctx.emit, signal: ctx.signal, env: ctx.env });
  // with the host: a cross-built launcher may need this machine's Node, and build --offline will look for it
  const plan = await makePlan({ loaded, platform, host: thisHost() });
  const { requests, unlocked } = planRequests(plan);
  const repoReqs = repoRequests(plan);
  const repoPart = repoReqs.length ? ` and ${repoReqs.length} repositor${repoReqs.length === 1 ? "y" : "ies"}` : "";
  ctx.emit({ type: "stage", stage: "fetch", status: "start", detail: `${requests.length} artifact(s)${repoPart} of ${plan.bundleName} into ${cacheDir}${offline ? " (offline)" : ""}` });
  let got: Map<string, Fetched>;
  let repos: Map<string, FetchedRepo>;
  try {
    [got, repos] = await fetchBoth(requests, repoReqs, { cacheDir, offline, jobs, ...tuning, emit: ctx.emit, signal: ctx.signal, env: ctx.env });
  } catch (e) {
    if (e instanceof BundleError && unlocked.length) {
      throw new BundleError(e.code, e.message, { hint: `${e.hint ? `${e.hint}\n      ` : ""}also: ${notLockedMessage(unlocked, plan.recipe.file)}`, cause: e.cause, details: e.details });
    }
    throw e;
  }
  ctx.emit({ type: "stage", stage: "fetch", status: "done" });
  const list = [...got.values()];
  const fresh = list.filter((f) => !f.cached);
  const repoList = [...repos.values()];
  const freshRepos = repoList.filter((r) => !r.cached).length;
  if (ctx.json) {
    const repoJson = repoList.map((r) => ({ id: r.id, commit: r.commit, url: r.url, cached: r.cached }));
    ctx.out(JSON.stringify({ bundle: plan.bundleName, cache: cacheDir, downloaded: fresh.length, bytes: fresh.reduce((n, f) => n + f.size, 0), artifacts: list, repos: repoJson, unlocked: unlocked.map((a) => a.id), lock: { action: lock.action, file: lock.file ?? null, platforms: lock.platforms } }, null, 2));
  } else {
    const repoSummary = repoList.length ? `; ${repoList.length} repositor${repoList.length === 1 ? "y" : "ies"}: ${freshRepos} fetched, ${repoList.length - freshRepos} already cached` : "";
    ctx.out(`fetched ${list.length} artifact(s) of ${plan.bundleName} into ${cacheDir}: ${fresh.length} downloaded (${fmtBytes(fresh.reduce((n, f) => n + f.size, 0))}), ${list.length - fresh.length} already cached${repoSummary}`);
    if (lock.action === "written") ctx.out(`wrote the lock file ${lock.file} (resolved for ${lock.platforms.join(", ")})`);
    if (ctx.verbose) {
      for (const f of list) ctx.out(`  ${f.id}  ${f.sha256.slice(0, 12)}  ${fmtBytes(f.size)}  ${f.url}`);
      for (const r of repoList) ctx.out(`  ${r.id}  ${r.commit.slice(0, 12)}  ${r.url}`);
    }
  }
  if (unlocked.length) {
    throw new BundleError("NOT_LOCKED", notLockedMessage(unlocked, plan.recipe.file), {
      hint: `run \`bundle lock ${plan.recipe.file}\` (it resolves wheels and pins the hashes written as "lock"), then fetch again`,
      details: { unlocked: unlocked.map((a) => ({ id: a.id, source: `${a.source.file}:${a.source.line}:${a.source.col}` })) },
    });
  }
  return 0;
}

/**
 * Files and repositories at the same time (as `build` gathers them); both run to the end before a
 * failure is reported, so one run brings in everything it can. With --offline, repositories
 * must already be in the git cache: one error lists the missing commits.
 */
async function fetchBoth(requests: Parameters<typeof fetchAll>[0], repoReqs: RepoRequest[], o: FetchOptions & { offline: boolean; jobs: number }): Promise<[Map<string, Fetched>, Map<string, FetchedRepo>]> {
  const repoOpts = { cacheDir: o.cacheDir, ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}) };
  const [files, repos] = await Promise.allSettled([
    fetchAll(requests, o),
    (async () => {
      if (o.offline) await offlineRepos(o.cacheDir, repoReqs);
      return fetchRepos(repoReqs, repoOpts);
    })(),
  ]);
  if (files.status === "fulfilled" && repos.status === "fulfilled") return [files.value, repos.value];
  const errors = [files, repos].filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
  if (errors.length === 1) throw errors[0];
  const first = errors[0] instanceof BundleError ? errors[0] : new BundleError("NETWORK", describeError(errors[0]), { cause: errors[0] });
  throw new BundleError(first.code, [...new Set(errors.map((e) => (e instanceof BundleError ? e.message : describeError(e))))].join("\n"), {
    ...(first.hint ? { hint: first.hint } : {}),
    cause: first,
    details: { errors: errors.map((e) => (e instanceof BundleError ? { code: e.code, message: e.message } : { message: describeError(e) })) },
  });
}

async function offlineRepos(cacheDir: string, reqs: RepoRequest[]): Promise<void> {
  const missing = await missingCommits(cacheDir, reqs);
  if (!missing.length) return;
  const lines = missing.map((r) => `  ${r.id}: commit ${r.commit} (from ${r.urls[0] ?? r.origin})`);
  throw new BundleError("OFFLINE_MISSING", `--offline: ${missing.length} of ${reqs.length} repository commit(s) are not in the cache ${cacheDir}\n${lines.join("\n")}`, {
    hint: "run `bundle fetch <recipe>` once with network access (or point --cache at a filled cache folder), then build offline",
    details: { repos: missing.map((r) => ({ id: r.id, commit: r.commit, urls: r.urls })) },
  });
}

function notLockedMessage(unlocked: PlanArtifact[], recipe: string): string {
  const lines = unlocked.slice(0, 20).map((a) => `  ${a.id} (${a.source.file}:${a.source.line}:${a.source.col})`);
  if (unlocked.length > 20) lines.push(`  … and ${unlocked.length - 20} more`);
  return `${unlocked.length} artifact(s) of ${recipe} have no pinned sha256 yet, so they were not fetched:\n${lines.join("\n")}`;
}
