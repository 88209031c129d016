// `bundle lock <recipe>`: for each platform, each pinned requirement gets its best
// wheel by tag priority from its indexes (find-links pages give bytes; hashes come from an index or
// the existing lock), sdists are built once and recorded, recipe hashes written "lock" are pinned
// on first download, and the closure check runs on the chosen wheels' METADATA. The lock is
// written next to the recipe, stable and diff-friendly (lockfile.ts).

import { dirname, relative } from "node:path";
import { assertWritableDir } from "../core/fs.ts";
import { BundleError, interrupted } from "../core/errors.ts";
import { PLATFORMS, type Platform } from "../core/platform.ts";
import { pool } from "../core/pool.ts";
import { makePlan, pinnedRequirements } from "../plan/plan.ts";
import { normalizeName } from "../python/pep508.ts";
import { checkClosure, formatProblem } from "../python/closure.ts";
import { IndexClient, type MetadataVia } from "../python/index-client.ts";
import { LOCK_VERSION, readLock, serializeLock, writeLock, type LockedArtifact, type LockedWheel, type LockFile, type LockPlatform } from "../python/lockfile.ts";
import { makeTarget } from "../python/target.ts";
import { fetchUnpinned } from "../python/net.ts";
import type { LockOptions } from "./options.ts";
import { resolveRequirement, type Resolver } from "./resolve.ts";

export type { LockOptions } from "./options.ts";

export interface LockReport {
  /** The lock file, as shown to the user. */
  file: string;
  lock: LockFile;
  changed: boolean;
  warnings: string[];
  /** Per platform: wheels locked and how their METADATA was read. */
  stats: { platform: Platform; wheels: number; sdists: number; artifacts: number; metadata: Partial<Record<MetadataVia | "sdist", number>> }[];
  /** Set when the recipe has nothing a lock could pin (no wheels, every hash in the recipe): why no file was written. */
  nothing?: string;
}

export async function lockRecipe(o: LockOptions): Promise<LockReport> {
  const r = o.loaded.recipe;
  if (!r.wheels?.lock) return noLockFile(o);
  const lockPath = o.loaded.resolveFile(["wheels", "lock"], r.wheels.lock);
  // Before resolving anything: a lock that cannot be written would throw the whole run away at the end.
  await assertWritableDir(dirname(lockPath), "folder of the lock file", "make it writable, or point wheels.lock at a writable place");
  const existing = await readExisting(o, lockPath);
  const client = new IndexClient(r.mirrors, { cacheDir: o.cacheDir, ...pick(o) });
  const platforms = o.platforms ?? [...r.platforms];
  const pinnedOnce = new Map<string, Promise<LockedArtifact>>();
  const out: LockFile = { lock: LOCK_VERSION, recipe: r.name, python: r.python.version, platforms: {} };
  for (const p of PLATFORMS) if (!platforms.includes(p) && existing?.platforms[p] && r.platforms.includes(p)) out.platforms[p] = existing.platforms[p];
  const failures: string[] = [];
  const errors: BundleError[] = [];
  const warnings: string[] = [];
  const stats: LockReport["stats"] = [];
  for (const platform of platforms) {
    o.emit?.({ type: "stage", stage: `lock ${platform}`, status: "start" });
    const got = await lockPlatform(o, platform, existing, client, pinnedOnce).catch((e: unknown) => {
      if (e instanceof BundleError && e.code === "INTERRUPTED") {
        throw interrupted(e, `bundle lock ${o.loaded.file} interrupted while resolving ${platform}; the lock file was not changed`, "run it again: what was downloaded stays in the cache");
      }
      throw e;
    });
    failures.push(...got.failures);
    errors.push(...got.errors);
    warnings.push(...got.warnings);
    if (got.lp) out.platforms[platform] = got.lp;
    stats.push(got.stats);
    o.emit?.({ type: "stage", stage: `lock ${platform}`, status: "done", detail: `${got.stats.wheels} wheels` });
  }
  if (failures.length > 0) throw lockFailed(o.loaded.file, failures, errors);
  const before = existing ? serializeLock(existing) : "";
  const changed = serializeLock(out) !== before;
  if (changed) await writeLock(lockPath, out);
  const shown = relative(process.cwd(), lockPath);
  return { file: shown.startsWith("..") ? lockPath : shown, lock: out, changed, warnings, stats };
}

/**
 * A recipe without `wheels.lock`. With no wheels and every sha256 written in the recipe there is
 * nothing to pin (the lock holds resolved wheels and the hashes written "lock"), so locking is a
 * no-op, not an error: scripts run `bundle lock` over every recipe. Otherwise the lock is needed.
 */
async function noLockFile(o: LockOptions): Promise<LockReport> {
  const r = o.loaded.recipe;
  const platforms = o.platforms ?? [...r.platforms];
  const unpinned: string[] = [];
  for (const platform of platforms) {
    const plan = await makePlan({ loaded: o.loaded, platform, lock: null });
    for (const a of plan.artifacts) if (!a.locked && !unpinned.includes(a.id)) unpinned.push(a.id);
  }
  if (r.wheels) {
    throw new BundleError("RECIPE", `${o.loaded.file} names no lock file`, { hint: `add \`lock: ${r.name}.lock.json\` under wheels: (it is written next to the recipe)` });
  }
  if (unpinned.length > 0) {
    throw new BundleError("RECIPE", `${o.loaded.file} has no wheels: section, so there is no lock file to pin ${unpinned.join(", ")} into`, {
      hint: `write their sha256 into the recipe instead of "lock", or add wheels: with indexes: and \`lock: ${r.name}.lock.json\``,
    });
  }
  return {
    file: "",
    lock: { lock: LOCK_VERSION, recipe: r.name, python: r.python.version, platforms: {} },
    changed: false,
    warnings: [],
    stats: platforms.map((platform) => ({ platform, wheels: 0, sdists: 0, artifacts: 0, metadata: {} })),
    nothing: `nothing to lock: ${o.loaded.file} has no wheels and every sha256 is in the recipe (no lock file needed, \`build --locked\` accepts it as it is)`,
  };
}

/**
 * One error for every problem of the run. When every problem is the same network or integrity
 * failure, its code and hint are the lock's (a dead mirror is not fixed by editing the pins).
 */
function lockFailed(file: string, failures: string[], errors: BundleError[]): BundleError {
  const pins = "fix the pins in the requirements file (the full closure, one name==version per line) or the package's indexes, then run `bundle lock` again";
  const codes = new Set(errors.map((e) => e.code));
  const same = errors.length === failures.length && codes.size === 1 ? errors[0]! : undefined;
  const hints = [...new Set(errors.map((e) => e.hint).filter((h): h is string => Boolean(h)))];
  const hint = (same && hints.length ? hints : [pins, ...hints]).join("; ") + "; nothing was written";
  return new BundleError(same ? same.code : "RESOLVE", `cannot lock ${file}: ${failures.length} problem(s)\n${failures.map((f) => `  ${f}`).join("\n")}`, {
    hint,
    details: { problems: failures },
  });
}

/** The lock being replaced. A damaged or foreign-format one is replaced too (with a warning), not a dead end. */
async function readExisting(o: LockOptions, lockPath: string): Promise<LockFile | undefined> {
  try {
    return await readLock(lockPath, o.loaded.locate(["wheels", "lock"]));
  } catch (e) {
    if (!(e instanceof BundleError) || e.code !== "NOT_LOCKED") throw e;
    o.emit?.({ type: "warning", message: `${e.message}; writing a fresh lock in its place` });
    return undefined;
  }
}

function pick(o: LockOptions) {
  return { ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}), ...(o.offline ? { offline: true } : {}) };
}

async function lockPlatform(o: LockOptions, platform: Platform, existing: LockFile | undefined, client: IndexClient, pinnedOnce: Map<string, Promise<LockedArtifact>>) {
  const r = o.loaded.recipe;
  const target = makeTarget(platform, r.python.version, r.python.glibc);
  const prev = existing?.platforms[platform];
  const artifacts = await pinArtifacts(o, platform, prev, pinnedOnce);
  const reqs = await pinnedRequirements(o.loaded, target);
  const lockedHashes = new Map<string, string>();
  for (const lp of Object.values(existing?.platforms ?? {})) for (const w of lp?.wheels ?? []) lockedHashes.set(w.filename, w.sha256);
  const resolver: Resolver = { o, target, client, artifacts, lockedHash: (f) => lockedHashes.get(f), platform };
  const failures: string[] = [];
  const warnings: string[] = [];
  const errors: BundleError[] = [];
  const metadata: Record<string, number> = {};
  const wheels: (LockedWheel & { requiresDist: string[] })[] = [];
  let done = 0;
  o.emit?.({ type: "task:start", id: `lock:${platform}`, title: `resolve ${reqs.length} requirements for ${platform}`, total: reqs.length });
  await pool(reqs, o.jobs ?? 8, async (q) => {
    const res = await resolveRequirement(resolver, q);
    if ("failure" in res) {
      failures.push(res.failure);
      if (res.error) errors.push(res.error);
    }
    else {
      wheels.push(res.wheel);
      warnings.push(...res.warnings);
      metadata[res.via] = (metadata[res.via] ?? 0) + 1;
    }
    o.emit?.({ type: "task:progress", id: `lock:${platform}`, done: ++done, total: reqs.length, detail: `${q.name}==${q.version}` });
  });
  o.emit?.({ type: "task:done", id: `lock:${platform}` });
  const stats = { platform, wheels: wheels.length, sdists: wheels.filter((w) => w.index === "sdist").length, artifacts: Object.keys(artifacts).length, metadata };
  if (failures.length > 0) return { failures: failures.sort(), errors, warnings, stats, lp: undefined };

  const extras = new Map(reqs.map((q) => [q.key, q.extras]));
  const provides = new Map<string, string>();
  for (const [name, o] of Object.entries(r.wheels?.packages ?? {})) for (const p of o.provides ?? []) provides.set(normalizeName(p), normalizeName(name));
  const closure = checkClosure(wheels.map((w) => ({ key: w.name, version: w.version, requiresDist: w.requiresDist })), extras, target.markers, provides);
  for (const p of closure.problems) {
    if (p.kind === "unparsable") warnings.push(`${platform}: ${formatProblem(p)}`);
    else failures.push(`${platform}: ${formatProblem(p)}`);
  }
  const lp: LockPlatform = {
    artifacts,
    wheels: wheels.map(({ requiresDist: _drop, ...w }) => {
      const applied = closure.applied.get(w.name) ?? [];
      return applied.length > 0 ? { ...w, requires: applied } : w;
    }),
  };
  return { failures, errors, warnings, stats, lp: failures.length ? undefined : lp };
}

/**
 * Recipe artifacts whose sha256 is "lock" (runtime, MinGit, Node, files, sdists): the existing pin
 * is kept while its URL is still a candidate; otherwise the file is downloaded once and hashed
 * (trust on first use, by the maintainer running `bundle lock`).
 */
async function pinArtifacts(o: LockOptions, platform: Platform, prev: LockPlatform | undefined, pinnedOnce: Map<string, Promise<LockedArtifact>>): Promise<Record<string, LockedArtifact>> {
  const plan = await makePlan({ loaded: o.loaded, platform, lock: null });
  const out: Record<string, LockedArtifact> = {};
  for (const a of plan.artifacts) {
    // Wheels and build requirements are resolved from their indexes, not pinned by first download.
    if (a.locked || a.kind === "wheel" || a.kind === "build-requirement" || a.urls.length === 0) continue;
    const old = prev?.artifacts[a.id];
    if (old && a.urls.includes(old.url)) {
      out[a.id] = old;
      continue;
    }
    const memo = a.urls.join("\n");
    let p = pinnedOnce.get(memo);
    if (!p) {
      p = fetchUnpinned({ id: a.id, urls: a.urls }, { cacheDir: o.cacheDir, ...pick(o) }).then((f) => ({ sha256: f.sha256, size: f.size, url: f.url }));
      pinnedOnce.set(memo, p);
    }
    out[a.id] = await p;
  }
  return out;
}
