// The bundle folder as a sorted list of archive entries: names sorted by
// UTF-16 code unit, explicit modes (0755 for executables and folders, 0644 otherwise), and
// symbolic links kept only when they stay inside the bundle. Whether a file is executable comes
// from bundle.json's manifest (`exec`) when there is one — the folder may have been copied
// through a filesystem without modes — and from the file's mode bits otherwise.

import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { BUNDLE_JSON, type ManifestEntry } from "../contract/bundle-json.ts";
import { BundleError } from "../core/errors.ts";

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

export interface PackEntry {
  /** '/'-separated path relative to the bundle root; folders end with '/'. */
  name: string;
  kind: "file" | "dir" | "symlink";
  /** Full mode with type bits. */
  mode: number;
  size: number;
  /** Absolute path on disk (files). */
  source: string;
  /** Link target (symlinks), '/'-separated and relative. */
  target?: string;
}

/** The manifest's `exec` flags; a folder without a readable manifest is packed by its mode bits. */
async function execFlags(root: string): Promise<Map<string, boolean> | undefined> {
  try {
    const json = JSON.parse(await readFile(join(root, BUNDLE_JSON), "utf8")) as { files?: Pick<ManifestEntry, "path" | "exec">[] };
    if (!Array.isArray(json.files)) return undefined;
    return new Map(json.files.map((f) => [f.path, f.exec === true]));
  } catch {
    return undefined;
  }
}

function checkLink(name: string, target: string, root: string): string {
  const t = target.replaceAll("\\", "/");
  const resolved = posix.normalize(posix.join(posix.dirname(name), t));
  if (t.startsWith("/") || /^[A-Za-z]:/.test(t) || resolved === ".." || resolved.startsWith("../")) {
    throw new BundleError("ARCHIVE", `${join(root, name)} is a symbolic link to ${target}, outside the bundle`, {
      hint: "bundles must be self-contained: replace the link with the file it points to",
    });
  }
  return t;
}

const byCodeUnit = (a: PackEntry, b: PackEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The entries under one top folder `top/`: every release archive holds exactly one, named like
 * the archive's stem, so that "extract here" never spills a bundle's files next to others.
 * The folder's own entry comes first; the sort order is unchanged by the common prefix.
 */
export function underTop(entries: PackEntry[], top: string | undefined, root: string): PackEntry[] {
  if (top === undefined) return entries;
  if (top === "" || top.includes("/") || top.includes("\\") || top === "." || top === "..") {
    throw new BundleError("USAGE", `the archive's top folder name ${JSON.stringify(top)} is not a single folder name`);
  }
  return [{ name: `${top}/`, kind: "dir", mode: S_IFDIR | 0o755, size: 0, source: root }, ...entries.map((e) => ({ ...e, name: `${top}/${e.name}` }))];
}

/** Every entry under `root` (not `root` itself), sorted. */
export async function walkBundle(root: string): Promise<PackEntry[]> {
  const exec = await execFlags(root);
  const out: PackEntry[] = [];
  const visit = async (rel: string): Promise<void> => {
    const dir = rel ? join(root, rel) : root;
    for (const name of await readdir(dir)) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(dir, name);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        out.push({ name: `${r}/`, kind: "dir", mode: S_IFDIR | 0o755, size: 0, source: abs });
        await visit(r);
      } else if (st.isSymbolicLink()) {
        const target = checkLink(r, await readlink(abs), root);
        out.push({ name: r, kind: "symlink", mode: S_IFLNK | 0o777, size: Buffer.byteLength(target), source: abs, target });
      } else if (st.isFile()) {
        const x = exec?.get(r) ?? (st.mode & 0o111) !== 0;
        out.push({ name: r, kind: "file", mode: S_IFREG | (x ? 0o755 : 0o644), size: st.size, source: abs });
      } else {
        throw new BundleError("ARCHIVE", `${abs} is neither a file, a folder nor a link`, { hint: "remove sockets, pipes and devices from the bundle folder" });
      }
    }
  };
  await visit("");
  return out.sort(byCodeUnit);
}
