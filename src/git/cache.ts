// Bare repositories in the cache folder, one per canonical repository URL
// (`<cache>/git-v1/<hash>.git`, the format version in the path). A pinned commit is
// fetched with `git fetch --depth 1 <mirror> <sha>` — protocol v2 lets a client ask for any
// commit reachable from a ref, so it need not be a branch tip — through the mirror policy that
// file downloads use (src/fetch/mirrors.ts: rounds, demotion, backoff; outcome.ts here reads git's
// errors). Two processes fetching into one repository take the blob cache's lock (src/cache/lock.ts).
// The ref `refs/pins/<sha>` is written by that fetch after the objects are complete: it is the
// completion marker, and keeps the commit from being pruned.

import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { acquireLock } from "../cache/lock.ts";
import { BundleError } from "../core/errors.ts";
import { silent, type Emit } from "../core/events.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";
import { mirrorPolicy, type PolicyOptions } from "../fetch/context.ts";
import { tryMirrors } from "../fetch/mirrors.ts";
import { summarizeAttempts, type Attempt } from "../fetch/outcome.ts";
import { gitAttemptError } from "./outcome.ts";
import { git, requireGit } from "./run.ts";

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
  /** The commit's committer date (seconds since 1970), when known without asking git. */
  committed?: number;
  cached: boolean;
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

/** Creates the bare repository under a temporary name, then renames it: a half-made one is never found. */
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
  const known = await pinRecord(bare, req.commit);
  if (known) {
    await markUsed(bare);
    return { id: req.id, commit: req.commit, bare, url: known.url || req.urls[0] || req.origin, ...(known.branch ? { branch: known.branch } : {}), committed: known.committed, cached: true };
  }
  const r = await git(["rev-parse", "--verify", "-q", `refs/pins/${req.commit}`], { cwd: bare, isolated: true, reject: false });
  if (r.exitCode !== 0 || r.stdout.trim() !== req.commit) return undefined;
  const url = (await git(["config", `greenbundle.${req.commit}.url`], { cwd: bare, isolated: true, reject: false })).stdout.trim();
  const branch = (await git(["config", "greenbundle.defaultbranch"], { cwd: bare, isolated: true, reject: false })).stdout.trim();
  const committed = Number.parseInt((await git(["show", "-s", "--format=%ct", req.commit], { cwd: bare, isolated: true, reject: false })).stdout.trim(), 10) || 0;
  await writePinRecord(bare, req.commit, { url, branch, committed });
  await markUsed(bare);
  return { id: req.id, commit: req.commit, bare, url: url || req.urls[0] || req.origin, ...(branch ? { branch } : {}), committed, cached: true };
}

interface PinRecord {
  url: string;
  branch: string;
  /** The commit's committer date (seconds). */
  committed: number;
}

/**
 * What git said about a pinned commit, kept beside it, so that a warm build reads one small file
 * instead of starting git four times per repository. Trusted only while the pin's loose ref still
 * names the commit (a `git pack-refs` in the cache sends it back to asking git).
 */
async function pinRecord(bare: string, commit: string): Promise<PinRecord | undefined> {
  try {
    if ((await readFile(join(bare, "refs", "pins", commit), "utf8")).trim() !== commit) return undefined;
    const rec = JSON.parse(await readFile(join(bare, PIN_RECORDS, `${commit}.json`), "utf8")) as PinRecord;
    return typeof rec.committed === "number" && typeof rec.url === "string" ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort, through a temp name: a read-only cache still serves builds. */
async function writePinRecord(bare: string, commit: string, rec: PinRecord): Promise<void> {
  const file = join(bare, PIN_RECORDS, `${commit}.json`);
  try {
    await mkdir(join(bare, PIN_RECORDS), { recursive: true });
    const tmp = tmpSibling(file);
    await writeFile(tmp, JSON.stringify(rec));
    await renameRetry(tmp, file);
  } catch {
    /* asked of git again next time */
  }
}

/** The folder of pin records in a bare repository; git ignores it. */
const PIN_RECORDS = "greenbundle-pins";

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

/** The mirror policy's options, as for file downloads (rounds 3, backoff 1 s…30 s, the command's session), and where to cache. */
export interface EnsureOptions extends PolicyOptions {
  cacheDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** Brings one commit into the bare cache, trying each mirror in order. */
export async function ensureCommit(req: RepoRequest, opts: EnsureOptions): Promise<FetchedRepo> {
  const emit = opts.emit ?? silent;
  const hit = await cachedCommit(opts.cacheDir, req);
  if (hit) {
    emit({ type: "download:done", id: req.id, url: hit.url, bytes: 0, cached: true });
    return hit;
  }
  await requireGit();
  const bare = bareCachePath(opts.cacheDir, req.origin);
  await ensureBare(bare, req.origin);
  // The blob cache's lock: another process fetching into this repository is waited for (its
  // commit may be the one we need), a dead one's lock is broken.
  const lock = await acquireLock(`${bare}.lock`, {
    signal: opts.signal,
    isDone: async () => (await cachedCommit(opts.cacheDir, req)) !== undefined,
    onWait: (h) => emit({ type: "info", message: `${req.id}: another greenbundle process${h ? ` (pid ${h.pid})` : ""} is fetching into the same cached repository; waiting` }),
  });
  if (lock === "done") return { ...(await cachedCommit(opts.cacheDir, req))!, cached: true };
  try {
    const again = await cachedCommit(opts.cacheDir, req);
    if (again) return { ...again, cached: true };
    const before = await packBytes(bare);
    const policy = mirrorPolicy({ ...opts, emit });
    const { url } = await tryMirrors(req.id, `${req.name} at commit ${req.commit}`, req.urls, policy, (u) => fetchCommit(req, bare, u, opts, emit), {
      giveUp: (attempts) => noMirrorError(req, attempts),
    });
    const bytes = Math.max(0, (await packBytes(bare)) - before);
    await git(["config", `greenbundle.${req.commit}.url`, url], { cwd: bare, isolated: true });
    const branch = await learnDefaultBranch(bare, url, opts);
    const committed = Number.parseInt((await git(["show", "-s", "--format=%ct", req.commit], { cwd: bare, isolated: true, reject: false })).stdout.trim(), 10) || 0;
    await writePinRecord(bare, req.commit, { url, branch: branch ?? "", committed });
    emit({ type: "download:done", id: req.id, url, bytes, cached: false });
    return { id: req.id, commit: req.commit, bare, url, ...(branch ? { branch } : {}), committed, cached: false };
  } finally {
    await lock.release();
  }
}

/** One `git fetch` of the pinned commit from one mirror; a failure says what it means for the mirror policy. */
async function fetchCommit(req: RepoRequest, bare: string, url: string, opts: EnsureOptions, emit: Emit): Promise<void> {
  emit({ type: "download:start", id: req.id, url });
  const r = await git(
    ["-c", "protocol.version=2", "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60", "-c", "fetch.writeCommitGraph=false", "-c", "fetch.unpackLimit=1",
      "fetch", "-q", "--depth", "1", "--no-tags", url, `+${req.commit}:refs/pins/${req.commit}`],
    { cwd: bare, reject: false, network: true, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.env ? { baseEnv: opts.env } : {}) },
  );
  if (r.exitCode !== 0) throw gitAttemptError(url, r.exitCode, r.stderr);
}

/**
 * Every mirror failed. Only when each one said "not found" is the commit missing; a mirror that
 * could not be reached says nothing about the commit, and the hint must then speak of the network.
 */
function noMirrorError(req: RepoRequest, attempts: readonly Attempt[]): BundleError {
  const lines = summarizeAttempts(attempts).map(({ url, what }) => `  ${url}: ${what}`);
  const missing = attempts.every((a) => a.kind === "not-found");
  const someMissing = attempts.some((a) => a.kind === "not-found");
  const commitHint = "check that the commit exists upstream (a force-push can remove it) and that the URL is right, or add a mirror that has it";
  const netHint = "check the network or proxy (HTTPS_PROXY, NO_PROXY), or add a mirror that can be reached";
  const head = missing ? `no mirror has ${req.name} at commit ${req.commit}` : `could not fetch ${req.name} at commit ${req.commit} from any mirror`;
  return new BundleError("GIT", `${head}:\n${lines.join("\n")}`, {
    hint: missing ? commitHint : someMissing ? `${netHint}; where a mirror answered, ${commitHint}` : netHint,
    details: { id: req.id, commit: req.commit, attempts: attempts.map((a) => ({ ...a })) },
  });
}

/** Records the remote's default branch (for the checkout's branch name); best effort, one small request. */
async function learnDefaultBranch(bare: string, url: string, opts: EnsureOptions): Promise<string | undefined> {
  const known = (await git(["config", "greenbundle.defaultbranch"], { cwd: bare, isolated: true, reject: false })).stdout.trim();
  if (known) return known;
  const r = await git(["ls-remote", "--symref", url, "HEAD"], {
    reject: false,
    network: true,
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
