// The file manifest of bundle.json: every file of the finished tree with its size,
// sha256 and executable bit, sorted by path (code unit order), so that the launcher and
// `bundle verify` can tell a partial unzip or a quarantined file. Files placed from the cache are
// not read again: their digest is already known and their size is checked.

import { createHash } from "node:crypto";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Emit } from "../core/events.ts";
import { BUNDLE_JSON, type ManifestEntry } from "../contract/bundle-json.ts";
import { pool } from "../core/pool.ts";
import { hashFile } from "../integrity/sha256.ts";

export interface WalkEntry {
  /** '/'-separated, relative to the root. */
  path: string;
  kind: "file" | "dir" | "link";
  size: number;
  mode: number;
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every file, folder and link under `root`, sorted by path. */
export async function walkTree(root: string): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const visit = async (abs: string, rel: string): Promise<void> => {
    for (const d of await readdir(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const childAbs = join(abs, d.name);
      const st = await lstat(childAbs);
      const kind = st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : st.isFile() ? "file" : undefined;
      if (!kind) continue;
      out.push({ path: childRel, kind, size: kind === "dir" ? 0 : st.size, mode: st.mode & 0o7777 });
      if (kind === "dir") await visit(childAbs, childRel);
    }
  };
  await visit(root, "");
  return out.sort((a, b) => byCodeUnit(a.path, b.path));
}

export interface ManifestOptions {
  /** Digests already known by relative path (files placed from verified cache blobs). */
  known?: Map<string, { sha256: string; size: number }>;
  /** Whether to record the executable bit (POSIX targets). */
  exec: boolean;
  jobs?: number;
  emit?: Emit;
  signal?: AbortSignal;
}

/** The manifest of `root` (every file except bundle.json). */
export async function buildManifest(root: string, entries: readonly WalkEntry[], opts: ManifestOptions): Promise<ManifestEntry[]> {
  const todo = entries.filter((e) => e.kind !== "dir" && e.path !== BUNDLE_JSON);
  const emit = opts.emit ?? (() => {});
  emit({ type: "task:start", id: "manifest", title: "hashing files for bundle.json", total: todo.length });
  let done = 0;
  const out = await pool(todo, opts.jobs ?? 4, async (e) => {
    const entry = await manifestEntry(root, e, opts);
    if (++done % 200 === 0) emit({ type: "task:progress", id: "manifest", done, total: todo.length });
    return entry;
  }, opts.signal);
  emit({ type: "task:done", id: "manifest", detail: `${todo.length} files` });
  return out;
}

async function manifestEntry(root: string, e: WalkEntry, opts: ManifestOptions): Promise<ManifestEntry> {
  opts.signal?.throwIfAborted();
  const abs = join(root, ...e.path.split("/"));
  if (e.kind === "link") {
    // A link is listed with what it resolves to, as `bundle verify` and the launcher follow it.
    const target = await readlink(abs);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isFile()) {
      const resolved = posix.normalize(posix.join(posix.dirname(e.path), target));
      const known = opts.known?.get(resolved);
      const sha256 = known && known.size === st.size ? known.sha256 : (await hashFile(abs, opts.signal)).sha256;
      return { path: e.path, size: st.size, sha256, link: target };
    }
    const text = Buffer.from(target);
    return { path: e.path, size: text.length, sha256: createHash("sha256").update(text).digest("hex"), link: target };
  }
  const known = opts.known?.get(e.path);
  const sha256 = known && known.size === e.size ? known.sha256 : (await hashFile(abs, opts.signal)).sha256;
  return { path: e.path, size: e.size, sha256, ...(opts.exec && e.mode & 0o100 ? { exec: true } : {}) };
}
