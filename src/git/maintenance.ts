// `bundle cache ls|verify|gc` (inspect, re-hash, prune) for the bare repositories of the git cache
// (`<cache>/git-v1/`): they are part of the
// cache like the blobs, so they are listed, checked (git fsck re-hashes every object, the git
// equivalent of re-hashing a blob) and pruned by the same rules. The decision (planRepoGc) is
// pure; a repository being fetched (its `.lock` file exists) is never touched.

import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Emit } from "../core/events.ts";
import { silent } from "../core/events.ts";
import { splitByGcRule } from "../cache/maintenance.ts";
import { GIT_CACHE_DIR } from "./cache.ts";
import { git } from "./run.ts";

export interface CachedRepo {
  /** The bare repository folder. */
  path: string;
  /** The canonical URL it was created for (`greenbundle.origin`). */
  origin: string;
  /** Pinned commits held (`refs/pins/<sha>`), sorted. */
  commits: string[];
  /** Commit → the mirror that served it. */
  urls: Record<string, string>;
  /** Bytes on disk. */
  bytes: number;
  /** Last fetch or last use from the cache (ms). */
  lastUsed: number;
}

const BARE_RE = /^[0-9a-f]{32}\.git$/;

async function treeBytes(dir: string): Promise<{ bytes: number; newest: number }> {
  let bytes = 0;
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile()) continue;
    const s = await stat(join(e.parentPath, e.name)).catch(() => undefined);
    if (!s) continue;
    bytes += s.size;
    newest = Math.max(newest, s.mtimeMs);
  }
  return { bytes, newest };
}

async function readRepo(path: string): Promise<CachedRepo> {
  const cfg = await git(["config", "--get-regexp", "^greenbundle\\."], { cwd: path, isolated: true, reject: false });
  let origin = "";
  const urls: Record<string, string> = {};
  for (const line of cfg.stdout.split("\n")) {
    const m = /^greenbundle\.(\S+) (.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === "origin") origin = m[2]!;
    const pin = /^([0-9a-f]{40})\.url$/.exec(m[1]!);
    if (pin) urls[pin[1]!] = m[2]!;
  }
  const refs = await git(["for-each-ref", "--format=%(refname)", "refs/pins/"], { cwd: path, isolated: true, reject: false });
  const commits = refs.stdout.split("\n").map((l) => /^refs\/pins\/([0-9a-f]{40})$/.exec(l.trim())?.[1]).filter((c): c is string => c !== undefined).sort();
  const { bytes, newest } = await treeBytes(path);
  return { path, origin, commits, urls, bytes, lastUsed: newest };
}

/** Every bare repository of the git cache, sorted by folder name; temporary and lock folders are skipped. */
export async function listCachedRepos(cacheDir: string): Promise<CachedRepo[]> {
  const root = join(cacheDir, GIT_CACHE_DIR);
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => BARE_RE.test(n)).sort();
  const out: CachedRepo[] = [];
  for (const n of names) out.push(await readRepo(join(root, n)));
  return out;
}

async function beingFetched(repo: CachedRepo): Promise<boolean> {
  return stat(`${repo.path}.lock`).then(() => true, () => false);
}

export interface RepoVerifyResult {
  checked: number;
  bytes: number;
  corrupt: { path: string; origin: string; problem: string }[];
}

/** `git fsck` on every repository (every object re-hashed) and each pin resolving to itself; a damaged repository is evicted. */
export async function verifyCachedRepos(cacheDir: string, opts: { emit?: Emit; signal?: AbortSignal } = {}): Promise<RepoVerifyResult> {
  const emit = opts.emit ?? silent;
  const repos = await listCachedRepos(cacheDir);
  const res: RepoVerifyResult = { checked: 0, bytes: 0, corrupt: [] };
  emit({ type: "task:start", id: "cache-verify-git", title: `checking ${repos.length} git repositor${repos.length === 1 ? "y" : "ies"}`, total: repos.length });
  for (const r of repos) {
    if (await beingFetched(r)) continue;
    const signal = opts.signal ? { signal: opts.signal } : {};
    const fsck = await git(["fsck", "--full", "--no-dangling", "--no-progress"], { cwd: r.path, isolated: true, reject: false, ...signal });
    let problem = fsck.exitCode === 0 ? undefined : `git fsck: ${fsck.stderr.split("\n").find((l) => l.trim()) ?? `exit ${fsck.exitCode}`}`;
    for (const c of r.commits) {
      if (problem) break;
      const got = await git(["rev-parse", "--verify", "-q", `refs/pins/${c}^{commit}`], { cwd: r.path, isolated: true, reject: false, ...signal });
      if (got.stdout.trim() !== c) problem = `pin ${c} does not name that commit`;
    }
    if (problem) {
      res.corrupt.push({ path: r.path, origin: r.origin, problem });
      await rm(r.path, { recursive: true, force: true });
    }
    res.checked++;
    res.bytes += r.bytes;
    emit({ type: "task:progress", id: "cache-verify-git", done: res.checked, total: repos.length, detail: r.origin });
  }
  emit({ type: "task:done", id: "cache-verify-git", detail: `${res.checked} checked, ${res.corrupt.length} corrupt` });
  return res;
}

export interface RepoGcRule {
  /** Bare repository folders some recipe needs (all platforms). Undefined: no recipe given. */
  keep?: ReadonlySet<string> | undefined;
  olderThanMs?: number | undefined;
  now: number;
}

/** The same rule as the blobs' planGc: with recipes, what they do not need; with --older-than, what was not used for that long; with both, only what matches both. */
export function planRepoGc(repos: readonly CachedRepo[], rule: RepoGcRule): { remove: CachedRepo[]; keep: CachedRepo[] } {
  return splitByGcRule(repos, rule, (r) => rule.keep!.has(r.path));
}

export async function gcCachedRepos(cacheDir: string, rule: RepoGcRule & { dryRun?: boolean }): Promise<{ removed: CachedRepo[]; freed: number }> {
  const candidates = planRepoGc(await listCachedRepos(cacheDir), rule).remove;
  const removed: CachedRepo[] = [];
  for (const r of candidates) {
    if (await beingFetched(r)) continue;
    if (!rule.dryRun) await rm(r.path, { recursive: true, force: true });
    removed.push(r);
  }
  return { removed, freed: removed.reduce((n, r) => n + r.bytes, 0) };
}
