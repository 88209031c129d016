// The plan's repositories and extensions: fetch every pinned commit into the bare cache (a few at
// a time), then place each as a real checkout, outer repositories first so that nested ones
// (webui/repositories/*, webui/extensions/*) land inside them without being swallowed: the outer
// checkout's info/exclude lists them, so its `git status` stays clean and `git add -A` there
// never records them.

import { join } from "node:path";
import { keepTree, keptDigests, lookupKept, placeKept, type Kept } from "../cache/kept.ts";
import { Cache } from "../cache/store.ts";
import { BundleError, isBundleError, isInterrupted } from "../core/errors.ts";
import { pool } from "../core/pool.ts";
import type { Platform } from "../core/platform.ts";
import { ensureCommit, type EnsureOptions, type FetchedRepo, type RepoRequest } from "./cache.ts";
import { escapingLinks } from "../core/links.ts";
import { commitLinks, placeCheckout } from "./checkout.ts";
import { git } from "./run.ts";

export interface RepoFetchOptions extends EnsureOptions {
  /** Repositories fetched at the same time (default 4). */
  jobs?: number;
}

/** Fetches every request; when some fail, one error lists them all. */
export async function fetchRepos(reqs: RepoRequest[], opts: RepoFetchOptions): Promise<Map<string, FetchedRepo>> {
  const out = new Map<string, FetchedRepo>();
  if (reqs.length) await new Cache(opts.cacheDir).prepare();
  const failures: BundleError[] = [];
  // A repository that cannot be fetched does not stop the others (one error lists them all); an
  // interruption or a bug does.
  await pool(reqs, opts.jobs ?? 4, async (req) => {
    try {
      out.set(req.id, await ensureCommit(req, opts));
    } catch (e) {
      if (!isBundleError(e) || isInterrupted(e)) throw e;
      failures.push(e);
    }
  }, opts.signal);
  if (failures.length === 1) throw failures[0]!;
  if (failures.length > 1) {
    throw new BundleError("GIT", `${failures.length} repositories could not be fetched:\n${failures.map((f) => f.message).join("\n")}`, {
      hint: failures[0]!.hint,
      details: { failures: failures.map((f) => f.details) },
    });
  }
  return out;
}

export interface RepoToPlace {
  /** What the recipe calls it, for messages ("extension:x"); the origin URL otherwise. */
  name?: string;
  /** '/'-separated folder relative to the bundle root. */
  dest: string;
  commit: string;
  origin: string;
  /** A lightweight tag to create at `commit`. */
  tag?: string;
  fetched: FetchedRepo;
}

/** Parents before children: fewer path segments first, then by name. */
export function placementOrder<T extends { dest: string }>(items: T[]): T[] {
  const depth = (p: string) => p.split("/").length;
  return [...items].sort((a, b) => depth(a.dest) - depth(b.dest) || (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
}

/** info/exclude patterns for what lands inside `dest`: nested repositories (folders) and files. */
export function excludesFor(dest: string, repos: { dest: string }[], files: readonly string[] = []): string[] {
  const inside = (p: string) => p.startsWith(`${dest}/`);
  // gitignore syntax: glob characters and backslashes are escaped so each line matches one path.
  const rel = (p: string) => p.slice(dest.length + 1).replace(/([*?[\\])/g, "\\$1");
  return [...repos.filter((r) => inside(r.dest)).map((r) => `/${rel(r.dest)}/`), ...files.filter(inside).map((f) => `/${rel(f)}`)];
}

/**
 * Refuses, before anything is written, repositories with symbolic links that leave the bundle
 * (`passwd -> /etc/passwd`): the bundle would point at whatever the end user's machine has there.
 * Links are followed through each other, across repositories, as the system would follow them.
 */
export async function checkRepoLinks(items: readonly RepoToPlace[], signal?: AbortSignal): Promise<void> {
  const all = new Map<string, string>();
  const owner = new Map<string, RepoToPlace>();
  for (const r of items) {
    for (const [path, target] of await commitLinks(r.fetched.bare, r.commit, signal)) {
      all.set(`${r.dest}/${path}`, target);
      owner.set(`${r.dest}/${path}`, r);
    }
  }
  const bad = escapingLinks(all);
  if (!bad.length) return;
  throw escapingLinksError(bad, owner);
}

function escapingLinksError(bad: ReturnType<typeof escapingLinks>, owner: Map<string, RepoToPlace>): BundleError {
  const lines = bad.map((b) => {
    const r = owner.get(b.path)!;
    return `  ${r.name ?? r.origin} (${r.dest} at ${r.commit.slice(0, 12)}): ${b.path.slice(r.dest.length + 1)} -> ${b.target} (${b.why})`;
  });
  return new BundleError("GIT", `${bad.length} symbolic link(s) in the recipe's repositories point outside the bundle:\n${lines.join("\n")}`, {
    hint: "a bundle must be self-contained: pin a commit without these links, or drop the repository from the recipe",
    details: { links: bad.map((b) => ({ repo: owner.get(b.path)!.name ?? owner.get(b.path)!.origin, path: b.path, target: b.target })) },
  });
}

/** Places every repository; `files` are recipe files that will be put inside them afterwards. */
export async function placeRepos(items: RepoToPlace[], root: string, platform: Platform, signal?: AbortSignal, files: readonly string[] = []): Promise<void> {
  await checkRepoLinks(items, signal);
  for (const r of placementOrder(items)) {
    await placeCheckout({
      bare: r.fetched.bare,
      commit: r.commit,
      dest: join(root, ...r.dest.split("/")),
      origin: r.origin,
      ...(r.tag ? { tag: r.tag } : {}),
      ...(r.fetched.branch ? { branch: r.fetched.branch } : {}),
      platform,
      exclude: excludesFor(r.dest, items, files),
      ...(signal ? { signal } : {}),
    });
  }
}

export interface KeptRepoOptions {
  cacheDir: string;
  /** Part of every key: what else shapes a kept checkout (greenbundle's version, how bytecode is made). */
  keyTag: string;
  /** Compiles the checkout at `dest` (relative to `root`) made in `root`; what it returns is kept with it. */
  compile: (root: string, dest: string) => Promise<unknown>;
  signal?: AbortSignal;
}

interface KeptRepoData {
  /** Symbolic links of the commit, path → target, for the escaping-link check across repositories. */
  links: [string, string][];
  committed: number;
  compiled: unknown;
}

/**
 * Places every repository from kept checkouts (src/cache/kept.ts): each is checked out once into
 * a folder of its own, compiled, kept under its commit and everything that shapes it, and linked
 * into the bundle; a rebuild starts no git. Returns, by dest, what each compile returned.
 */
export async function placeReposKept(items: RepoToPlace[], root: string, platform: Platform, o: KeptRepoOptions, files: readonly string[] = []): Promise<{ compiled: Map<string, unknown>; made: string[]; linked: string[]; known: Map<string, { sha256: string; size: number }> }> {
  const made: string[] = [];
  const linked: string[] = [];
  const trees = new Map<RepoToPlace, Kept<KeptRepoData>>();
  for (const r of placementOrder(items)) {
    const exclude = excludesFor(r.dest, items, files);
    const key = `repo:v1:${o.keyTag}:${platform}:${r.commit}:${r.dest}:${r.origin}:${r.tag ?? ""}:${r.fetched.branch ?? ""}:${JSON.stringify(exclude)}`;
    o.signal?.throwIfAborted();
    let k = await lookupKept<KeptRepoData>(o.cacheDir, key);
    if (k) linked.push(r.dest);
    else {
      made.push(r.dest);
      k = await keepTree<KeptRepoData>(o.cacheDir, key, async (dir) => {
        const dest = join(dir, ...r.dest.split("/"));
        await placeCheckout({ bare: r.fetched.bare, commit: r.commit, dest, origin: r.origin, ...(r.tag ? { tag: r.tag } : {}), ...(r.fetched.branch ? { branch: r.fetched.branch } : {}), platform, exclude, ...(o.signal ? { signal: o.signal } : {}) });
        const links = [...(await commitLinks(r.fetched.bare, r.commit, o.signal)).entries()];
        const committed = r.fetched.committed ?? (Number.parseInt((await git(["show", "-s", "--format=%ct", r.commit], { cwd: r.fetched.bare, isolated: true, reject: false })).stdout.trim(), 10) || 0);
        return { links, committed, compiled: await o.compile(dir, r.dest) };
      });
    }
    trees.set(r, k);
  }
  // The same refusal as placeRepos, from the links the kept checkouts recorded.
  const all = new Map<string, string>();
  const owner = new Map<string, RepoToPlace>();
  for (const [r, k] of trees) {
    for (const [path, target] of k.record.data.links) {
      all.set(`${r.dest}/${path}`, target);
      owner.set(`${r.dest}/${path}`, r);
    }
  }
  const bad = escapingLinks(all);
  if (bad.length) throw escapingLinksError(bad, owner);
  const compiled = new Map<string, unknown>();
  const known = new Map<string, { sha256: string; size: number }>();
  for (const r of placementOrder(items)) {
    const k = trees.get(r)!;
    await placeKept(k, root);
    keptDigests(k, known);
    compiled.set(r.dest, k.record.data.compiled);
    r.fetched.committed ??= k.record.data.committed;
  }
  return { compiled, made, linked, known };
}
