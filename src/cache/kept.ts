// Kept trees: a folder the build assembled (an unpacked runtime, an installed wheel, a checked-out
// repository — each with its bytecode), kept in the cache under a key made of everything it was
// made from, so that a rebuild links it into the bundle instead of making it again (no git, no
// Python, no unzipping). Layout: `kept-v1/<first 2 of the key's hash>/<key's hash>/` holding
// `tree/` and `kept.json` (the key, what the maker returned, and every entry with its size,
// sha256, mode or link target). A kept tree appears whole or not at all: it is made in the cache's
// tmp/ and renamed into place, and kept.json is written last.
//
// Its files are read-only, as blobs are: they are hard links into every bundle folder built from
// them, and a program writing into one (an app run from dist/) must fail rather than change the
// cache and every other bundle with it. The archive records modes from the executable bit alone.

import { createHash } from "node:crypto";
import { chmod, copyFile, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { dirname, join } from "node:path";
import { hashFile } from "../integrity/sha256.ts";
import { TMP_DIR } from "./layout.ts";

export const KEPT_DIR = "kept-v1";

export interface KeptEntry {
  path: string;
  kind: "dir" | "file" | "link";
  size?: number;
  sha256?: string;
  /** File mode bits (0o644, 0o755: the executable bit is what matters). */
  mode?: number;
  target?: string;
}

export interface KeptRecord<T = unknown> {
  key: string;
  /** What the maker returned (installed distributions, a commit date…). */
  data: T;
  entries: KeptEntry[];
  files: number;
  bytes: number;
  created: number;
}

export interface Kept<T = unknown> {
  /** The folder whose contents are linked into a bundle. */
  tree: string;
  record: KeptRecord<T>;
}

export type PlaceHow = "hardlink" | "copy";

const hashOf = (key: string) => createHash("sha256").update(key).digest("hex");

export function keptDirOf(cacheDir: string, key: string): string {
  const h = hashOf(key);
  return join(cacheDir, KEPT_DIR, h.slice(0, 2), h);
}

/** The kept tree of `key`, when one is there whole. */
export async function lookupKept<T>(cacheDir: string, key: string): Promise<Kept<T> | undefined> {
  const dir = keptDirOf(cacheDir, key);
  try {
    const record = JSON.parse(await readFile(join(dir, "kept.json"), "utf8")) as KeptRecord<T>;
    if (record.key !== key) return undefined; // a hash collision on the folder name: never trust it
    // Used now, for `bundle cache gc --older-than` (best effort: a read-only cache still serves builds).
    const now = new Date();
    await utimes(join(dir, "kept.json"), now, now).catch(() => undefined);
    return { tree: join(dir, "tree"), record };
  } catch {
    return undefined;
  }
}

/**
 * Makes the tree of `key` with `make` (into an empty folder it is given) and keeps it; returns
 * the kept tree. When another build kept the same key meanwhile, that one is used.
 */
export async function keepTree<T>(cacheDir: string, key: string, make: (dir: string) => Promise<T>): Promise<Kept<T>> {
  const tmpRoot = join(cacheDir, TMP_DIR, "kept");
  await mkdir(tmpRoot, { recursive: true });
  const work = await mkdtemp(join(tmpRoot, "make-"));
  try {
    const tree = join(work, "tree");
    await mkdir(tree);
    const data = await make(tree);
    const entries = await describeTree(tree);
    const record: KeptRecord<T> = { key, data, entries, files: entries.filter((e) => e.kind === "file").length, bytes: entries.reduce((n, e) => n + (e.size ?? 0), 0), created: Date.now() };
    for (const e of entries) if (e.kind === "file") await chmod(join(tree, ...e.path.split("/")), e.mode! & 0o555);
    await writeFile(join(work, "kept.json"), JSON.stringify(record));
    const dest = keptDirOf(cacheDir, key);
    await mkdir(dirname(dest), { recursive: true });
    try {
      await rename(work, dest);
    } catch (e) {
      const found = await lookupKept<T>(cacheDir, key);
      if (found) return found;
      throw e;
    }
    return { tree: join(dest, "tree"), record };
  } finally {
    await removeTree(work);
  }
}

/** Every entry of `dir`, sorted by path, with the digests of its files. */
export async function describeTree(dir: string): Promise<KeptEntry[]> {
  const out: KeptEntry[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(a);
      if (st.isSymbolicLink()) out.push({ path: r, kind: "link", target: await readlink(a) });
      else if (st.isDirectory()) {
        out.push({ path: r, kind: "dir" });
        await walk(a, r);
      } else if (st.isFile()) out.push({ path: r, kind: "file", size: st.size, sha256: (await hashFile(a)).sha256, mode: st.mode & 0o777 });
    }
  };
  await walk(dir, "");
  return out;
}

/**
 * Puts the kept tree's entries under `dest` (existing folders are merged into): files as hard
 * links, or copies where the cache and the bundle are on different disks. A file that is already
 * there is a clash: `owner` names who put it there.
 */
export async function placeKept(kept: Kept, dest: string, how: { strategy?: PlaceHow } = {}): Promise<PlaceHow> {
  let strategy = how.strategy;
  await mkdir(dest, { recursive: true });
  const files: KeptEntry[] = [];
  // Folders first (the record lists a folder before what it holds), then the files, several
  // links at a time: each is one system call that mostly waits on the file system's journal.
  for (const e of kept.record.entries) {
    const to = join(dest, ...e.path.split("/"));
    if (e.kind === "dir") await mkdir(to, { recursive: true });
    else if (e.kind === "link") await symlink(e.target!, to);
    else files.push(e);
  }
  const one = async (e: KeptEntry): Promise<void> => {
    const from = join(kept.tree, ...e.path.split("/"));
    const to = join(dest, ...e.path.split("/"));
    if (strategy !== "copy") {
      try {
        await link(from, to);
        strategy ??= "hardlink";
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw err;
        strategy = "copy"; // another disk (or a file system without hard links): copy the rest
      }
    }
    await copyFile(from, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  };
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(16, files.length) }, async () => {
    while (next < files.length) await one(files[next++]!);
  }));
  return strategy ?? "hardlink";
}

/** The kept trees in the cache, each with its record (unreadable ones reported as broken). */
export async function listKept(cacheDir: string): Promise<{ dir: string; record?: KeptRecord; size: number; lastUsed: number }[]> {
  const root = join(cacheDir, KEPT_DIR);
  const out: { dir: string; record?: KeptRecord; size: number; lastUsed: number }[] = [];
  for (const a of await names(root)) {
    for (const h of await names(join(root, a))) {
      const dir = join(root, a, h);
      const rec = await readFile(join(dir, "kept.json"), "utf8").then((t) => JSON.parse(t) as KeptRecord, () => undefined);
      const used = await stat(join(dir, "kept.json")).then((s) => s.mtimeMs, () => 0);
      out.push({ dir, ...(rec ? { record: rec } : {}), size: rec?.bytes ?? 0, lastUsed: used });
    }
  }
  return out.sort((x, y) => (x.dir < y.dir ? -1 : 1));
}

/** What differs between a kept tree and its record: missing, changed or extra entries. */
export async function checkKept(dir: string, record: KeptRecord): Promise<string[]> {
  const tree = join(dir, "tree");
  const now = await describeTree(tree).catch(() => [] as KeptEntry[]);
  const have = new Map(now.map((e) => [e.path, e]));
  const problems: string[] = [];
  for (const e of record.entries) {
    const h = have.get(e.path);
    have.delete(e.path);
    if (!h) problems.push(`${e.path}: missing`);
    else if (h.kind !== e.kind) problems.push(`${e.path}: a ${h.kind}, kept as a ${e.kind}`);
    else if (e.kind === "file" && (h.sha256 !== e.sha256 || h.size !== e.size)) problems.push(`${e.path}: content changed (sha256 ${h.sha256}, kept ${e.sha256})`);
    else if (e.kind === "link" && h.target !== e.target) problems.push(`${e.path}: points to ${h.target}, kept pointing to ${e.target}`);
  }
  for (const extra of have.keys()) problems.push(`${extra}: not in the kept tree's record`);
  return problems;
}

/** Removes a kept tree (its read-only files included). */
export async function removeTree(dir: string): Promise<void> {
  // Windows refuses to delete read-only files; elsewhere the folder's own write bit is what counts.
  const unlock = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return;
    await chmod(p, st.isDirectory() ? 0o755 : 0o644).catch(() => undefined);
    if (st.isDirectory()) for (const n of await names(p, true)) await unlock(join(p, n));
  };
  if (process.platform === "win32") await unlock(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

async function names(dir: string, all = false): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => all || d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** `bundle cache verify`: every kept tree against its record; a tree that differs (or has no readable record) is removed. */
export async function verifyKept(cacheDir: string): Promise<{ checked: number; bytes: number; corrupt: { key: string; dir: string; problems: string[] }[] }> {
  const corrupt: { key: string; dir: string; problems: string[] }[] = [];
  let checked = 0;
  let bytes = 0;
  for (const k of await listKept(cacheDir)) {
    checked++;
    bytes += k.size;
    const problems = k.record ? await checkKept(k.dir, k.record) : ["kept.json is missing or unreadable"];
    if (!problems.length) continue;
    corrupt.push({ key: k.record?.key ?? k.dir, dir: k.dir, problems });
    await removeTree(k.dir);
  }
  return { checked, bytes, corrupt };
}

/**
 * `bundle cache gc` over kept trees: removes those whose key names none of `keep` (digests and
 * commits a recipe needs; absent: no such rule) or that were not used for `olderThanMs`.
 */
export async function gcKept(cacheDir: string, o: { keep?: ReadonlySet<string> | undefined; olderThanMs?: number | undefined; now: number; dryRun: boolean }): Promise<{ removed: { key: string; size: number }[]; freed: number }> {
  const removed: { key: string; size: number }[] = [];
  // What a killed build left half-made: a day old is never still being made.
  const making = join(cacheDir, TMP_DIR, "kept");
  for (const n of await names(making)) {
    const at = await stat(join(making, n)).then((s) => s.mtimeMs, () => o.now);
    if (o.now - at < 86_400_000) continue;
    removed.push({ key: `(unfinished) ${n}`, size: 0 });
    if (!o.dryRun) await removeTree(join(making, n));
  }
  for (const k of await listKept(cacheDir)) {
    const key = k.record?.key ?? "";
    const needed = o.keep === undefined || key.split(":").some((part) => o.keep!.has(part.toLowerCase()));
    const stale = o.olderThanMs !== undefined && o.now - k.lastUsed >= o.olderThanMs;
    if (k.record && needed && !stale) continue;
    removed.push({ key: key || k.dir, size: k.size });
    if (!o.dryRun) await removeTree(k.dir);
  }
  return { removed, freed: removed.reduce((n, r) => n + r.size, 0) };
}

/** The digests of a kept tree's files by path, for a manifest that need not read them again. */
export function keptDigests(kept: Kept, into: Map<string, { sha256: string; size: number }>): void {
  for (const e of kept.record.entries) if (e.kind === "file") into.set(e.path, { sha256: e.sha256!, size: e.size! });
}
