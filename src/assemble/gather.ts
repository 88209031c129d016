// Step one of `bundle build`: everything the plan names, in the cache and verified — files through
// the fetch engine, repositories through the git cache, both at the same time. Before any network
// use it checks what can be known up front, so that a build that cannot succeed fails at once with
// one list: `--locked` without a fresh lock, artifacts with no pinned hash, and (with `--offline`)
// everything that is not in the cache yet.

import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import type { Platform } from "../core/platform.ts";
import { siblings } from "../core/pool.ts";
import { Cache } from "../cache/index.ts";
import { fetchAll } from "../fetch/index.ts";
import { planRequests } from "../plan/requests.ts";
import type { Fetched, FetchRequest } from "../fetch/types.ts";
import { missingCommits, type FetchedRepo, type RepoRequest } from "../git/cache.ts";
import { fetchRepos } from "../git/repos.ts";
import { isRepo, type Plan, type PlanArtifact } from "../plan/plan.ts";

export interface GatherOptions {
  cacheDir: string;
  offline?: boolean;
  locked?: boolean;
  jobs?: number;
  /** Large-file downloads: ranged connections per file, and the size above which they are used. */
  segments?: number;
  segmentThreshold?: number;
  emit: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface Gathered {
  files: Map<string, Fetched>;
  repos: Map<string, FetchedRepo>;
  /** Downloads that were needed (not served from the cache). */
  downloaded: number;
}

/** The git stage's requests: every repository and extension at its pinned commit. */
export function repoRequests(plan: Plan): RepoRequest[] {
  return plan.artifacts.filter(isRepo).map((a) => ({ id: a.id, name: a.name, commit: a.commit, urls: a.urls, origin: a.origin }));
}

const where = (a: PlanArtifact) => `${a.source.file}:${a.source.line}:${a.source.col}`;

/** `--locked`: the lock must be fresh and pin every artifact. */
export function lockedProblems(plan: Plan): string[] {
  const out: string[] = [];
  // A recipe without wheels whose hashes are all written in it is fully locked without a lock file.
  const needsLockFile = plan.artifacts.some((a) => a.kind === "wheel" || a.kind === "sdist" || a.kind === "build-requirement" || !a.locked);
  if (plan.lock.state === "none" && needsLockFile) out.push("the recipe names no lock file (wheels.lock)");
  if (plan.lock.state === "missing") out.push(`the lock file ${plan.lock.file} does not exist`);
  if (plan.lock.state === "stale") out.push(`the lock file ${plan.lock.file} is stale`);
  out.push(...plan.lock.problems);
  for (const a of plan.artifacts.filter((x) => !x.locked)) out.push(`${a.id} has no pinned sha256 (${where(a)})`);
  return out;
}

/** `--locked` and the lock is missing, stale or incomplete: exit 2, nothing downloaded or written. */
export function lockRequiredError(file: string, platform: Platform, problems: string[]): BundleError {
  return new BundleError("LOCK_REQUIRED", `--locked: ${file} is not fully locked for ${platform}:\n${problems.map((p) => `  ${p}`).join("\n")}`, {
    hint: `run \`bundle lock ${file}\` with network access and commit the lock file, or build without --locked (it locks what is missing); nothing was downloaded or written`,
    details: { problems },
  });
}

export async function gather(plan: Plan, o: GatherOptions): Promise<Gathered> {
  if (o.locked) {
    const problems = lockedProblems(plan);
    if (problems.length) throw lockRequiredError(plan.recipe.file, plan.platform, problems);
  } else if (plan.lock.state === "stale") {
    // Without --locked a stale lock is still used; say so, or wheels chosen for another Python ship silently.
    o.emit({
      type: "warning",
      message: `the lock file ${plan.lock.file} is stale for ${plan.platform}:\n${plan.lock.problems.map((p) => `  ${p}`).join("\n")}`,
      hint: `run \`bundle lock ${plan.recipe.file}\`; \`bundle build --locked\` refuses a stale lock`,
    });
  }
  const { requests: reqs, unlocked } = planRequests(plan);
  const repoReqs = repoRequests(plan);
  if (o.offline) await offlineCheck(plan, reqs, repoReqs, unlocked, o.cacheDir);
  else if (unlocked.length) {
    throw new BundleError("NOT_LOCKED", `${unlocked.length} artifact(s) have no pinned sha256, so their bytes cannot be checked:\n${unlocked.map((a) => `  ${a.id} (${where(a)})`).join("\n")}`, {
      hint: `run \`bundle lock ${plan.recipe.file}\` (it resolves wheels and pins "lock" hashes), then build again`,
      details: { unlocked: unlocked.map((a) => a.id) },
    });
  }
  o.emit({ type: "stage", stage: "fetch", status: "start", detail: `${reqs.length} files, ${repoReqs.length} repositories` });
  const started = performance.now();
  const common = { emit: o.emit, ...(o.env ? { env: o.env } : {}) };
  // The build cannot go on without both halves: when one fails, the other stops (its git
  // children are killed, partial downloads kept) instead of running on after the build ended.
  const [files, repos] = await siblings(o.signal, [
    (signal) => fetchAll(reqs, { cacheDir: o.cacheDir, offline: o.offline ?? false, ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.segments ? { segments: o.segments } : {}), ...(o.segmentThreshold !== undefined ? { segmentThreshold: o.segmentThreshold } : {}), ...common, signal }),
    (signal) => fetchRepos(repoReqs, { cacheDir: o.cacheDir, ...common, signal }),
  ] as const);
  const downloaded = [...files.values()].filter((f) => !f.cached).length + [...repos.values()].filter((r) => !r.cached).length;
  o.emit({ type: "stage", stage: "fetch", status: "done", detail: downloaded ? `${downloaded} downloaded` : "all from the cache", ms: performance.now() - started });
  return { files, repos, downloaded };
}

/** `--offline`: one error listing every artifact that is not in the cache (or cannot be, unlocked). */
async function offlineCheck(plan: Plan, reqs: FetchRequest[], repoReqs: RepoRequest[], unlocked: PlanArtifact[], cacheDir: string): Promise<void> {
  const cache = new Cache(cacheDir);
  const absent: string[] = [];
  for (const r of reqs) if (!(await cache.has(r.sha256, r.size))) absent.push(`${r.id}: sha256 ${r.sha256}${r.urls[0] ? ` (from ${r.urls[0]})` : ""}`);
  const repos = (await missingCommits(cacheDir, repoReqs)).map((r) => `${r.id}: commit ${r.commit} (from ${r.urls[0] ?? r.origin})`);
  const groups: [string, string[]][] = [
    ["no pinned sha256 yet — `bundle lock` pins them", unlocked.map((a) => `${a.id} (${where(a)})`)],
    ["files not in the cache", absent],
    ["repository commits not in the cache", repos],
  ];
  const count = unlocked.length + absent.length + repos.length;
  if (!count) return;
  const lines = groups.filter(([, l]) => l.length).flatMap(([title, l]) => [`  ${title} (${l.length}):`, ...l.map((x) => `    ${x}`)]);
  throw new BundleError("OFFLINE_MISSING", `--offline: ${count} of ${plan.artifacts.length} artifact(s) of ${plan.bundleName} are not available from the cache ${cacheDir}:\n${lines.join("\n")}`, {
    hint: `${unlocked.length ? `run \`bundle lock ${plan.recipe.file}\`, then ` : ""}build once with network access (without --offline) to fill the cache, or point --cache at a filled cache folder`,
    details: { unlocked: unlocked.map((a) => a.id), files: absent, repos },
  });
}
