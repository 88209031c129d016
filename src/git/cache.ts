// Bare repositories in the cache folder, one per canonical repository URL
// (`<cache>/git-v1/<hash>.git`, format version in the path: STYLE.md habit 3). A pinned commit is
// fetched with `git fetch --depth 1 <mirror> <sha>` — protocol v2 lets a client ask for any
// commit reachable from a ref, so it need not be a branch tip — trying each mirror in order.
// The ref `refs/pins/<sha>` is written by that fetch after the objects are complete: it is the
// completion marker, and keeps the commit from being pruned.

import { createHash } from "node:crypto";
import { mkdir, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";
import { withDirLock } from "./lock.ts";
import { git, lastLine, requireGit } from "./run.ts";

export const GIT_CACHE_DIR = "git-v1";

/** A repository to bring into the cache: the plan's repo/extension artifact. */
export interface RepoRequest {
  /** Plan artifact id ("repo:webui", "extension:x"). */
  id: string;
  name: string;
  commit: string;
  /** Candidate URLs in mirror order. */
  urls: string[];
  /** The canonical URL (written as `origin`); it names the cache entry. */
  origin: string;
}

export interface FetchedRepo {
  id: string;
  commit: string;
  /** The bare cache repository holding the commit. */
  bare: string;
  /** The mirror that served the commit (recorded when it entered the cache). */
  url: string;
  /** The remote's default branch, when it could be learned. */
  branch?: string;
  cached: boolean;
}

export interface MirrorAttempt {
  url: string;
  reason: string;
}

/** `https://GitHub.com/a/b.git/` and `https://github.com/a/b` are the same repository. */
export function canonicalRepoUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(url.trim());
  const s = m ? m[1]!.toLowerCase() + m[2]!.toLowerCase() + m[3]! : url.trim();
  return s.replace(/\/+$/, "").replace(/\.git$/, "");
}

export function bareCachePath(cacheDir: string, origin: string): string {
  const hash = createHash("sha256").update(canonicalRepoUrl(origin)).digest("hex").slice(0, 32);
  return join(cacheDir, GIT_CACHE_DIR, `${hash}.git`);
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** Creates the bare repository under a temporary name, then renames it (habit 2). */
async function ensureBare(bare: string, origin: string): Promise<void> {
  if (await isDir(bare)) return;
  await mkdir(join(bare, ".."), { recursive: true });
  const tmp = tmpSibling(bare);
  await git(["init", "-q", "--bare", "--template=", tmp], { isolated: true });
  await git(["config", "greenbundle.origin", origin], { cwd: tmp, isolated: true });
  // Auto-gc could unshallow or repack the cache behind our back; we never need it here.
  await git(["config", "gc.auto", "0"], { cwd: tmp, isolated: true });
  try {
    await renameRetry(tmp, bare);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (!(await isDir(bare))) throw e;
  }
}

/** The cached record of a commit, or undefined when it is not (completely) in the cache. */
export async function cachedCommit(cacheDir: string, req: RepoRequest): Promise<FetchedRepo | undefined> {
  const bare = bareCachePath(cacheDir, req.origin);
  if (!(await isDir(bare))) return undefined;
  const r = await git(["rev-parse", "--verify", "-q", `refs/pins/${req.commit}`], { cwd: bare, isolated: true, reject: false });
  if (r.exitCode !== 0 || r.stdout.trim() !== req.commit) return undefined;
  const url = (await git(["config", `greenbundle.${req.commit}.url`], { cwd: bare, isolated: true, reject: false })).stdout.trim();
  const branch = (await git(["config", "greenbundle.defaultbranch"], { cwd: bare, isolated: true, reject: false })).stdout.trim();
  await markUsed(bare);
  return { id: req.id, commit: req.commit, bare, url: url || req.urls[0] || req.origin, ...(branch ? { branch } : {}), cached: true };
}

/** A file in the bare repository whose mtime says when it was last used (`bundle cache gc --older-than`); git ignores it. */
export const USED_MARK = "greenbundle-used";

/** Best effort: a read-only cache still serves builds. */
async function markUsed(bare: string): Promise<void> {
  const mark = join(bare, USED_MARK);
  const now = new Date();
  await utimes(mark, now, now).catch(() => writeFile(mark, "").catch(() => undefined));
}

/** Bytes of the bare repository's packs: the growth is what a fetch downloaded. */
async function packBytes(bare: string): Promise<number> {
  const dir = join(bare, "objects", "pack");
  let n = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) if (f.endsWith(".pack")) n += (await stat(join(dir, f))).size;
  return n;
}

/** Whether a git failure message means this mirror will never have the commit (no point retrying it). */
export function isPermanentGitFailure(reason: string): boolean {
  return /not our ref|couldn't find remote ref|not found|does not appear to be a git repository|no such remote|HTTP 40[34]|Repository not found/i.test(reason);
}

export interface EnsureOptions {
  cacheDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Passes over the mirror list while some failure looked transient (default 2). */
  rounds?: number;
}

/** Brings one commit into the bare cache, trying each mirror in order. */
export async function ensureCommit(req: RepoRequest, opts: EnsureOptions): Promise<FetchedRepo> {
  const emit = opts.emit ?? (() => {});
  const hit = await cachedCommit(opts.cacheDir, req);
  if (hit) {
    emit({ type: "download:done", id: req.id, url: hit.url, bytes: 0, cached: true });
    return hit;
  }
  await requireGit();
  const bare = bareCachePath(opts.cacheDir, req.origin);
  await ensureBare(bare, req.origin);
  return withDirLock(`${bare}.lock`, opts.signal, async () => {
    const again = await cachedCommit(opts.cacheDir, req);
    if (again) return { ...again, cached: true };
    const before = await packBytes(bare);
    const attempts = await fetchThroughMirrors(req, bare, opts);
    const served = attempts.find((a) => a.reason === "ok");
    if (!served) throw noMirrorError(req, attempts);
    const bytes = Math.max(0, (await packBytes(bare)) - before);
    await git(["config", `greenbundle.${req.commit}.url`, served.url], { cwd: bare, isolated: true });
    const branch = await learnDefaultBranch(bare, served.url, opts);
    emit({ type: "download:done", id: req.id, url: served.url, bytes, cached: false });
    return { id: req.id, commit: req.commit, bare, url: served.url, ...(branch ? { branch } : {}), cached: false };
  });
}

async function fetchThroughMirrors(req: RepoRequest, bare: string, opts: EnsureOptions): Promise<MirrorAttempt[]> {
  const emit = opts.emit ?? (() => {});
  const attempts: MirrorAttempt[] = [];
  const permanent = new Set<string>();
  const rounds = opts.rounds ?? 2;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, 1000 * round));
    for (const url of req.urls) {
      if (permanent.has(url)) continue;
      emit({ type: "download:start", id: req.id, url });
      const r = await git(
        ["-c", "protocol.version=2", "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60", "-c", "fetch.writeCommitGraph=false", "-c", "fetch.unpackLimit=1",
          "fetch", "-q", "--depth", "1", "--no-tags", url, `+${req.commit}:refs/pins/${req.commit}`],
        { cwd: bare, reject: false, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.env ? { baseEnv: opts.env } : {}) },
      );
      if (r.exitCode === 0) {
        attempts.push({ url, reason: "ok" });
        return attempts;
      }
      const reason = lastLine(r.stderr);
      attempts.push({ url, reason });
      if (isPermanentGitFailure(reason)) permanent.add(url);
      const next = req.urls.find((u, i) => i > req.urls.indexOf(url) && !permanent.has(u));
      if (next) emit({ type: "download:mirror", id: req.id, from: url, to: next, reason });
    }
    if (permanent.size === req.urls.length) break;
  }
  return attempts;
}

/**
 * Every mirror failed. Only when each one said "not found" is the commit missing; a mirror that
 * could not be reached says nothing about the commit, and the hint must then speak of the network.
 */
function noMirrorError(req: RepoRequest, attempts: MirrorAttempt[]): BundleError {
  const lines: string[] = [];
  for (const a of attempts) {
    const same = lines.findIndex((l) => l.startsWith(`  ${a.url}: ${a.reason}`));
    if (same < 0) lines.push(`  ${a.url}: ${a.reason}`);
    else lines[same] = `  ${a.url}: ${a.reason} ×${Number(/ ×(\d+)$/.exec(lines[same]!)?.[1] ?? 1) + 1}`;
  }
  const missing = attempts.every((a) => isPermanentGitFailure(a.reason));
  const commitHint = "check that the commit exists upstream (a force-push can remove it) and that the URL is right, or add a mirror that has it";
  const netHint = "check the network or proxy (HTTPS_PROXY, NO_PROXY), or add a mirror that can be reached";
  const head = missing ? `no mirror has ${req.name} at commit ${req.commit}` : `could not fetch ${req.name} at commit ${req.commit} from any mirror`;
  return new BundleError("GIT", `${head}:\n${lines.join("\n")}`, {
    hint: missing ? commitHint : attempts.some((a) => isPermanentGitFailure(a.reason)) ? `${netHint}; where a mirror answered, ${commitHint}` : netHint,
    details: { id: req.id, commit: req.commit, attempts },
  });
}

/** Records the remote's default branch (for the checkout's branch name); best effort, one small request. */
async function learnDefaultBranch(bare: string, url: string, opts: EnsureOptions): Promise<string | undefined> {
  const known = (await git(["config", "greenbundle.defaultbranch"], { cwd: bare, isolated: true, reject: false })).stdout.trim();
  if (known) return known;
  const r = await git(["ls-remote", "--symref", url, "HEAD"], {
    reject: false,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.env ? { baseEnv: opts.env } : {}),
  });
  const m = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(r.stdout);
  if (!m) return undefined;
  await git(["config", "greenbundle.defaultbranch", m[1]!], { cwd: bare, isolated: true });
  return m[1];
}

/** The repositories whose commit is not in the cache (for `--offline`'s one list of what is missing). */
export async function missingCommits(cacheDir: string, reqs: RepoRequest[]): Promise<RepoRequest[]> {
  const out: RepoRequest[] = [];
  for (const r of reqs) if (!(await cachedCommit(cacheDir, r))) out.push(r);
  return out;
}
