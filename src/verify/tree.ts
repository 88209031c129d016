// Snapshots of the bundle tree before and after the first boot. The first
// snapshot hashes every file (it doubles as the manifest check); the second re-hashes only files
// whose size, mtime or inode moved, so a 10 GB bundle is read once, not twice.

import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { pool } from "../core/pool.ts";
import { hashFile } from "../integrity/sha256.ts";

export interface TreeEntry {
  kind: "file" | "link";
  size: number;
  /** Files: sha256 of the content. */
  sha256?: string;
  /** Links: what the link points to. */
  target?: string;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  mtimeNs: bigint;
  ino: number;
}

/** '/'-separated path relative to the root → entry. Folders are not recorded (only what they hold). */
export type Tree = Map<string, TreeEntry>;

export interface SnapshotOptions {
  /** An earlier snapshot: unchanged stat data means unchanged content (no re-hash). */
  previous?: Tree;
  /** Files hashed at the same time (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

export async function snapshotTree(root: string, opts: SnapshotOptions = {}): Promise<Tree> {
  const tree: Tree = new Map();
  const toHash: [string, string, number][] = [];
  await walk(root, "", tree, toHash, opts.previous);
  await pool(toHash, opts.concurrency ?? 4, async ([rel, abs]) => {
    opts.signal?.throwIfAborted();
    tree.get(rel)!.sha256 = (await hashFile(abs)).sha256;
  });
  return new Map([...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function walk(abs: string, rel: string, tree: Tree, toHash: [string, string, number][], previous?: Tree): Promise<void> {
  const entries = await readdir(abs, { withFileTypes: true });
  for (const e of entries) {
    const childAbs = join(abs, e.name);
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      await walk(childAbs, childRel, tree, toHash, previous);
      continue;
    }
    const st = await lstat(childAbs, { bigint: true });
    const base = { size: Number(st.size), mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, ino: Number(st.ino) };
    if (st.isSymbolicLink()) {
      tree.set(childRel, { kind: "link", ...base, target: await readlink(childAbs) });
    } else if (st.isFile()) {
      const before = previous?.get(childRel);
      const same = before?.kind === "file" && before.size === base.size && before.mtimeNs === base.mtimeNs && before.ino === base.ino;
      tree.set(childRel, { kind: "file", ...base, ...(same && before.sha256 ? { sha256: before.sha256 } : {}) });
      if (!same || !before.sha256) toHash.push([childRel, childAbs, base.size]);
    }
    // sockets, fifos and devices are not content; a bundle should have none, and the diff ignores them
  }
}

export interface TreeDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** What differs between two snapshots: content, link target, kind, or the executable bit. */
export function diffTrees(before: Tree, after: Tree): TreeDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [path, a] of after) {
    const b = before.get(path);
    if (!b) added.push(path);
    else if (b.kind !== a.kind || b.sha256 !== a.sha256 || b.target !== a.target || (b.mode & 0o111) !== (a.mode & 0o111)) changed.push(path);
  }
  for (const path of before.keys()) if (!after.has(path)) removed.push(path);
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}
