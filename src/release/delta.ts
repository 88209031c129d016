// `bundle delta <old> <new>`: the update file between two releases of one bundle. Each side is a
// release archive or a bundle folder; the files that differ are found by the two manifests
// (bundle.json: sha256, exec, link), so nothing is hashed twice. The update zip holds update.json
// (contract/update-json.ts), the new bundle.json and files/<path> for every new or changed file;
// it is written under a temporary name and listed in SHA256SUMS next to it.

import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { BUNDLE_JSON, parseBundleJson, type BundleJson, type ManifestEntry } from "../contract/bundle-json.ts";
import { UPDATE_BUNDLE_JSON, UPDATE_FORMAT, UPDATE_JSON, updateFileName, type UpdateFile, type UpdateJson } from "../contract/update-json.ts";
import { BundleError } from "../core/errors.ts";
import { extractArchive } from "../pack/extract.ts";
import { writeSha256Sums } from "../pack/sums.ts";
import { zipPacker } from "../pack/zip.ts";

/** Every entry of the update zip carries this time: the same two releases give the same bytes. */
const UPDATE_MTIME = new Date("2000-01-01T00:00:00Z");

export interface DeltaOptions {
  old: string;
  new: string;
  /** Folder for the update file (default: next to the new release). */
  outDir?: string;
  signal?: AbortSignal;
}

export interface DeltaResult {
  file: string;
  sha256: string;
  size: number;
  update: UpdateJson;
  /** Files added, changed, removed. */
  counts: { added: number; changed: number; removed: number };
}

interface Side {
  root: string;
  bj: BundleJson;
  text: Buffer;
}

/** bundle.json at the top of `dir`, or in its single top folder (how release archives are laid out). */
async function bundleRootIn(dir: string, shownAs: string): Promise<string> {
  if ((await stat(join(dir, BUNDLE_JSON)).catch(() => undefined))?.isFile()) return dir;
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith("."));
  if (entries.length === 1 && entries[0]!.isDirectory()) return bundleRootIn(join(dir, entries[0]!.name), shownAs);
  throw new BundleError("USAGE", `${shownAs} holds no ${BUNDLE_JSON}`, { hint: "give a release archive or bundle folder that `bundle build` wrote" });
}

async function openSide(input: string, work: string, which: string, signal?: AbortSignal): Promise<Side> {
  const path = resolve(input);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new BundleError("USAGE", `${input} does not exist`, { hint: "give the old and the new release: archives or bundle folders" });
  let root: string;
  if (st.isDirectory()) root = await bundleRootIn(path, input);
  else {
    const dest = join(work, which);
    await extractArchive(path, dest, signal ? { signal } : {});
    root = await bundleRootIn(dest, input);
  }
  const text = await readFile(join(root, BUNDLE_JSON));
  let bj: BundleJson;
  try {
    bj = parseBundleJson(text.toString("utf8"));
  } catch (e) {
    throw new BundleError("USAGE", `${input}: ${BUNDLE_JSON} cannot be read: ${e instanceof Error ? e.message : String(e)}`, { hint: "rebuild it with `bundle build`" });
  }
  return { root, bj, text };
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** The files that differ between two manifests, sorted by path. */
export function diffManifests(oldFiles: readonly ManifestEntry[], newFiles: readonly ManifestEntry[]): UpdateFile[] {
  const before = new Map(oldFiles.map((f) => [f.path, f]));
  const after = new Map(newFiles.map((f) => [f.path, f]));
  const out: UpdateFile[] = [];
  for (const n of newFiles) {
    const o = before.get(n.path);
    if (o && o.sha256 === n.sha256 && (o.exec === true) === (n.exec === true) && o.link === n.link) continue;
    out.push({ path: n.path, old: o ? o.sha256 : null, new: n.sha256, size: n.size, ...(n.exec ? { exec: true } : {}), ...(n.link !== undefined ? { link: n.link } : {}) });
  }
  for (const o of oldFiles) if (!after.has(o.path)) out.push({ path: o.path, old: o.sha256, new: null, size: 0 });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function makeDelta(o: DeltaOptions): Promise<DeltaResult> {
  const work = await mkdtemp(join(tmpdir(), "greenbundle delta "));
  try {
    const a = await openSide(o.old, work, "old", o.signal);
    const b = await openSide(o.new, work, "new", o.signal);
    if (a.bj.name !== b.bj.name || a.bj.platform !== b.bj.platform) {
      throw new BundleError("USAGE", `${o.old} is ${a.bj.name} for ${a.bj.platform}, ${o.new} is ${b.bj.name} for ${b.bj.platform}: an update goes between two releases of one bundle on one platform`, { hint: "give two releases with the same name and platform" });
    }
    if (a.bj.version === b.bj.version) {
      throw new BundleError("USAGE", `both releases are version ${a.bj.version}`, { hint: "give the old release first, then the new one" });
    }
    const files = diffManifests(a.bj.files, b.bj.files);
    const update: UpdateJson = {
      format: UPDATE_FORMAT,
      name: b.bj.name,
      platform: b.bj.platform,
      from: a.bj.version,
      to: b.bj.version,
      from_manifest: sha(a.text),
      to_manifest: sha(b.text),
      files,
    };
    const stage = join(work, "update");
    await mkdir(join(stage, "files"), { recursive: true });
    for (const f of files) {
      if (f.new === null || f.link !== undefined) continue;
      const to = join(stage, "files", ...f.path.split("/"));
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(b.root, ...f.path.split("/")), to);
    }
    await writeFile(join(stage, UPDATE_JSON), JSON.stringify(update, null, 1) + "\n");
    await writeFile(join(stage, UPDATE_BUNDLE_JSON), b.text);
    // Links of the new release travel as their text in update.json, never as link entries.
    const outDir = resolve(o.outDir ?? dirname(resolve(o.new)));
    await mkdir(outDir, { recursive: true });
    const out = join(outDir, updateFileName(update.name, update.from, update.to, update.platform));
    const r = await zipPacker.write({ dir: stage, out, mtime: UPDATE_MTIME, ...(o.signal ? { signal: o.signal } : {}) });
    await writeSha256Sums(outDir, [{ path: r.files[0]!, sha256: r.sha256[0]! }]);
    const counts = {
      added: files.filter((f) => f.old === null).length,
      changed: files.filter((f) => f.old !== null && f.new !== null).length,
      removed: files.filter((f) => f.new === null).length,
    };
    return { file: r.files[0]!, sha256: r.sha256[0]!, size: r.size, update, counts };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
