// What `bundle verify` was given, and the fresh copy it boots (issue 7 item 1). End users unzip
// into Downloads\新建文件夹 or "D:\AI 绘画\"; the copy goes into a folder whose path has spaces
// and CJK characters so that a bundle that only works from an ASCII path fails here, not there.
// A folder is copied, never verified in place: the first boot writes into it.

import { cp, mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { BundleError } from "../core/errors.ts";
import { archiveKind, extractArchive } from "../pack/extract.ts";
import { BUNDLE_JSON } from "../assemble/bundle-json.ts";
import { checkSums, type SumsVerdict } from "./sums.ts";
import { sha256File } from "./tree.ts";

/** The awkward folder name every copy is placed under (spaces + CJK, as end users have). */
export const AWKWARD_DIR = "整合包 测试";

export interface SourceInfo {
  path: string;
  kind: "zip" | "tar.gz" | "folder";
  bytes?: number;
  sha256?: string;
  /** The SHA256SUMS next to the archive, when there is one. */
  sums?: { file: string; verdict: SumsVerdict };
}

export async function inspectSource(input: string): Promise<SourceInfo> {
  const path = resolve(input);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new BundleError("USAGE", `${input} does not exist`, { hint: "give a release archive (.zip, .tar.gz) or a bundle folder, e.g. dist/<name>-<version>-<platform>.zip" });
  if (st.isDirectory()) return { path, kind: "folder" };
  const kind = await archiveKind(path).catch(() => {
    throw new BundleError("USAGE", `${input} is neither a folder nor a .zip or .tar.gz archive`, { hint: "give a release archive (.zip, .tar.gz) or a bundle folder" });
  });
  const sha256 = await sha256File(path);
  const info: SourceInfo = { path, kind, bytes: st.size, sha256 };
  const sumsFile = join(dirname(path), "SHA256SUMS");
  const text = await readFile(sumsFile, "utf8").catch(() => undefined);
  if (text !== undefined) info.sums = { file: sumsFile, verdict: checkSums(text, basename(path), sha256) };
  return info;
}

/** A new work folder under `tmpRoot`: `<tmpRoot>/greenbundle verify XXXXXX/`. */
export async function makeWorkDir(tmpRoot: string): Promise<string> {
  return mkdtemp(join(tmpRoot, "greenbundle verify "));
}

/** Unpacks (or copies) the source under `<work>/整合包 测试/` and returns the bundle root (the folder with bundle.json). */
export async function unpackSource(src: SourceInfo, work: string, signal?: AbortSignal): Promise<{ root: string; files: number; bytes: number }> {
  const into = join(work, AWKWARD_DIR);
  if (src.kind === "folder") {
    const dest = join(into, basename(src.path));
    // verbatim links: a bundle's links are relative and must stay so
    await cp(src.path, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    return { root: await findBundleRoot(dest, src.path), files: 0, bytes: 0 };
  }
  // into a folder named after the archive, as "Extract All" and most unzip tools do
  const dest = join(into, basename(src.path).replace(/\.(zip|tar\.gz|tgz)$/i, ""));
  const r = await extractArchive(src.path, dest, signal ? { signal } : {});
  return { root: await findBundleRoot(dest, src.path), files: r.files, bytes: r.bytes };
}

/** bundle.json at the top, or in the single folder at the top (how release archives are laid out). */
export async function findBundleRoot(dir: string, shownAs: string): Promise<string> {
  if (await isFile(join(dir, BUNDLE_JSON))) return dir;
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith("."));
  if (entries.length === 1 && entries[0]!.isDirectory() && (await isFile(join(dir, entries[0]!.name, BUNDLE_JSON)))) return join(dir, entries[0]!.name);
  throw new BundleError("VERIFY", `${shownAs} holds no ${BUNDLE_JSON} (at its top or in its single top folder)`, {
    hint: "this is not a greenbundle release; build one with `bundle build <recipe>`",
  });
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
