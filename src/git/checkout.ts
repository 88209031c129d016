// A real checkout of a cached commit, with a `.git` folder written so that two builds produce the
// same bytes (a build must not depend on when or where it ran): the objects come as one pack made single-threaded from
// the bare cache, refs and config are written as plain files, there are no reflogs, FETCH_HEAD,
// ORIG_HEAD, hook samples or description, and the index is the one `git read-tree` writes (no
// stat data). git then re-hashes files on its first `status`, which is what makes an unzipped
// copy on another machine look clean.
//
// HEAD is on a branch (named after the remote's default branch, else "master") that tracks
// `origin`: A1111 reads `repo.active_branch` for every extension and reports a traceback for a
// detached HEAD, and `git pull` needs a branch to update later.

import { mkdir, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BundleError } from "../core/errors.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { git } from "./run.ts";

export interface CheckoutOptions {
  /** Bare cache repository that has the commit. */
  bare: string;
  commit: string;
  /** Absolute folder to create (must not exist, or be empty). */
  dest: string;
  /** URL written as `origin`. */
  origin: string;
  branch?: string;
  /**
   * A lightweight tag written at the commit (refs/tags/<tag>): A1111 names its version with
   * `git describe --tags`, which prints "fatal: No names found" in a checkout without tags.
   */
  tag?: string;
  platform: Platform;
  /**
   * What the builder places inside this checkout besides its own files — nested repositories
   * (`/repositories/x/`) and recipe files (`/models/x.safetensors`) — as info/exclude patterns.
   */
  exclude?: string[];
  signal?: AbortSignal;
}

export const DEFAULT_BRANCH = "master";

/**
 * The fixed `.git/config` of a placed checkout, with what git would detect on the target's file
 * system (Git for Windows on NTFS: no exec bit, no symbolic links, case-insensitive names).
 */
export function checkoutConfig(origin: string, branch: string, platform: Platform): string {
  const f = PLATFORM_FACTS[platform];
  const q = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  return [
    "[core]",
    "\trepositoryformatversion = 0",
    `\tfilemode = ${f.execBit ? "true" : "false"}`,
    "\tbare = false",
    "\tlogallrefupdates = true",
    ...(f.symlinks ? [] : ["\tsymlinks = false"]),
    ...(f.caseInsensitive ? ["\tignorecase = true"] : []),
    `[remote "origin"]`,
    `\turl = ${q(origin)}`,
    "\tfetch = +refs/heads/*:refs/remotes/origin/*",
    `[branch "${q(branch)}"]`,
    "\tremote = origin",
    `\tmerge = refs/heads/${branch}`,
    "",
  ].join("\n");
}

async function ensureEmptyDir(dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const entries = await readdir(dest);
  if (entries.length > 0) {
    throw new BundleError("GIT", `cannot place a repository at ${dest}: the folder already has files (${entries.slice(0, 3).join(", ")})`, {
      hint: "two repositories (or a repository and a file) share this path; give each its own folder in the recipe",
    });
  }
}

export async function placeCheckout(o: CheckoutOptions): Promise<void> {
  const branch = o.branch || DEFAULT_BRANCH;
  await ensureEmptyDir(o.dest);
  const dotgit = join(o.dest, ".git");
  await mkdir(join(dotgit, "objects", "pack"), { recursive: true });
  await mkdir(join(dotgit, "refs", "heads"), { recursive: true });
  await writeFile(join(dotgit, "HEAD"), `ref: refs/heads/${branch}\n`);
  await writeFile(join(dotgit, "config"), checkoutConfig(o.origin, branch, o.platform));
  await mkdir(join(dotgit, "refs", "heads", ...branch.split("/").slice(0, -1)), { recursive: true });
  await writeFile(join(dotgit, "refs", "heads", ...branch.split("/")), `${o.commit}\n`);
  if (o.tag) {
    const parts = o.tag.split("/");
    await mkdir(join(dotgit, "refs", "tags", ...parts.slice(0, -1)), { recursive: true });
    await writeFile(join(dotgit, "refs", "tags", ...parts), `${o.commit}\n`);
  }
  // Only the pinned commit's objects are there; its parents are cut off like in a --depth 1 clone.
  await writeFile(join(dotgit, "shallow"), `${o.commit}\n`);
  if (o.exclude?.length) {
    await mkdir(join(dotgit, "info"), { recursive: true });
    const lines = [...new Set(o.exclude)].sort();
    await writeFile(join(dotgit, "info", "exclude"), `# placed inside this repository by greenbundle (other repositories, recipe files)\n${lines.join("\n")}\n`);
  }
  const sig = o.signal ? { signal: o.signal } : {};
  await copyObjects(o.bare, o.dest, o.commit, o.signal);
  const wt = { cwd: o.dest, isolated: true, env: { GIT_DIR: dotgit, GIT_WORK_TREE: o.dest }, ...sig };
  await git(["read-tree", o.commit], wt);
  await git(["checkout-index", "--all", "--force"], wt);
  // Rewrite the index without stat data (mtimes, inodes of this machine), as read-tree writes it.
  await git(["read-tree", o.commit], wt);
  const head = (await git(["rev-parse", "HEAD"], wt)).stdout.trim();
  if (head !== o.commit) throw new BundleError("GIT", `checkout at ${o.dest} has HEAD ${head}, expected ${o.commit}`);
  await removeEmptyDirs(dotgit);
}

/** The symbolic links of `commit`'s tree: path → target. */
export async function commitLinks(bare: string, commit: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const sig = signal ? { signal } : {};
  const tree = await git(["ls-tree", "-r", "-z", commit], { cwd: bare, isolated: true, ...sig });
  const links: { oid: string; path: string }[] = [];
  for (const rec of tree.stdout.split("\0")) {
    const m = /^120000 blob ([0-9a-f]+)\t(.*)$/s.exec(rec);
    if (m) links.push({ oid: m[1]!, path: m[2]! });
  }
  const out = new Map<string, string>();
  if (!links.length) return out;
  // One `cat-file --batch` for all targets: "<oid> blob <size>\n<target>\n" each.
  const batch = await git(["cat-file", "--batch"], { cwd: bare, isolated: true, input: links.map((l) => `${l.oid}\n`).join(""), ...sig });
  const buf = Buffer.from(batch.stdout);
  let at = 0;
  for (const l of links) {
    const nl = buf.indexOf(10, at);
    const size = Number(/ (\d+)$/.exec(buf.toString("utf8", at, nl))?.[1] ?? 0);
    out.set(l.path, buf.toString("utf8", nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return out;
}

/** One deterministic pack (single thread) of the commit, its tree and blobs, indexed into `dest`. */
async function copyObjects(bare: string, dest: string, commit: string, signal: AbortSignal | undefined): Promise<void> {
  const { execa } = await import("execa");
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  const sig = signal ? { cancelSignal: signal } : {};
  const pack = execa("git", ["-c", "pack.threads=1", "pack-objects", "--revs", "--no-reuse-object", "--stdout", "-q"], { cwd: bare, env, extendEnv: false, input: `${commit}\n`, ...sig });
  const index = execa("git", ["-c", "pack.threads=1", "index-pack", "--stdin"], { cwd: dest, env: { ...env, GIT_DIR: join(dest, ".git") }, extendEnv: false, ...sig });
  try {
    await pack.pipe(index);
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? "");
    throw new BundleError("GIT", `cannot copy commit ${commit} from the cache (${bare}) into ${dest}: ${stderr.trim() || String(e)}`, {
      hint: "the cache entry may be damaged: delete that folder and build again",
      cause: e,
    });
  }
}

async function removeEmptyDirs(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && (await removeEmptyDirs(join(dir, e.name)))) continue;
    empty = false;
  }
  if (empty) await rmdir(dir);
  return empty;
}
