// What `bundle verify` was given, and the fresh copy it boots. End users unzip
// into Downloads\新建文件夹 or "D:\AI 绘画\"; the copy goes into a folder whose path has spaces
// and CJK characters so that a bundle that only works from an ASCII path fails here, not there.
// A folder is copied, never verified in place: the first boot writes into it.

import { createReadStream, createWriteStream } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { basename, dirname, join, resolve } from "node:path";
import { BundleError } from "../core/errors.ts";
import type { ArchiveFormat } from "../contract/registry-names.ts";
import { archiveFormat, extractArchive } from "../pack/extract.ts";
import { PACKERS, withoutArchiveExtension } from "../pack/registry.ts";
import { BUNDLE_JSON } from "../contract/bundle-json.ts";
import { openZip, readZipEntry } from "../pack/zip-read.ts";
import { checkSums, type SumsVerdict } from "./sums.ts";
import { hashFile } from "../integrity/sha256.ts";

/** The awkward folder name every copy is placed under (spaces + CJK, as end users have). */
export const AWKWARD_DIR = "整合包 测试";

export interface SourceInfo {
  path: string;
  kind: ArchiveFormat | "folder";
  bytes?: number;
  /** Of the archive; for split volumes, of the archive they concatenate into. */
  sha256?: string;
  /** The SHA256SUMS next to the archive, when there is one; `name` is the file its verdict is about. */
  sums?: { file: string; verdict: SumsVerdict; name: string };
  /** A split release (package.split): its volumes, in order, each with its own sha256. */
  volumes?: { path: string; bytes: number; sha256: string }[];
}

/** `<name>.zip.001` → `<name>.zip` (any archive ending); undefined when the name is not a volume's. */
function splitBase(path: string): string | undefined {
  const m = /^(.*)\.\d{3}$/.exec(path);
  return m && withoutArchiveExtension(m[1]!) !== m[1] ? m[1] : undefined;
}

/** ".zip, .tar.gz or .tgz": the archive endings `bundle verify` accepts, for messages. */
function endings(): string {
  const e = Object.values(PACKERS).flatMap((p) => [...p.extensions]);
  return `${e.slice(0, -1).join(", ")} or ${e.at(-1)}`;
}

export async function inspectSource(input: string): Promise<SourceInfo> {
  const path = resolve(input);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new BundleError("USAGE", `${input} does not exist`, { hint: `give a release archive (${endings()}) or a bundle folder, e.g. dist/<name>-<version>-<platform>.zip` });
  if (st.isDirectory()) return { path, kind: "folder" };
  const base = splitBase(path);
  if (base) return inspectVolumes(input, base);
  const kind = await archiveFormat(path).catch(() => {
    throw new BundleError("USAGE", `${input} is neither a folder nor a ${endings()} archive`, { hint: `give a release archive (${endings()}) or a bundle folder` });
  });
  const { sha256 } = await hashFile(path);
  const info: SourceInfo = { path, kind, bytes: st.size, sha256 };
  const sumsFile = join(dirname(path), "SHA256SUMS");
  const text = await readFile(sumsFile, "utf8").catch(() => undefined);
  if (text !== undefined) info.sums = { file: sumsFile, verdict: checkSums(text, basename(path), sha256), name: basename(path) };
  return info;
}

/**
 * A split release: every volume from .001 up (whichever one was named), each checked against
 * SHA256SUMS, which lists volumes, not the whole archive. A gap in the numbering is an error: the
 * archive would be cut short.
 */
async function inspectVolumes(input: string, base: string): Promise<SourceInfo> {
  const volumes: { path: string; bytes: number; sha256: string }[] = [];
  for (let i = 1; i < 1000; i++) {
    const path = `${base}.${String(i).padStart(3, "0")}`;
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) break;
    volumes.push({ path, bytes: st.size, sha256: (await hashFile(path)).sha256 });
  }
  if (volumes.length === 0) throw new BundleError("USAGE", `${input} is a volume of a split archive, but ${basename(base)}.001 is not next to it`, { hint: "download every volume (.001, .002, …) into one folder" });
  const names = (await readdir(dirname(base))).filter((n) => n.startsWith(`${basename(base)}.`) && /\.\d{3}$/.test(n));
  if (names.length > volumes.length) {
    throw new BundleError("USAGE", `volume ${basename(volumes.at(-1)!.path).replace(/\d{3}$/, String(volumes.length + 1).padStart(3, "0"))} of ${basename(base)} is missing (found ${names.sort().join(", ")})`, { hint: "download every volume into one folder" });
  }
  const kind = await archiveFormat(volumes[0]!.path).catch(() => {
    throw new BundleError("USAGE", `${volumes[0]!.path} does not start a ${endings()} archive`, { hint: "give the first volume of a greenbundle release" });
  });
  const info: SourceInfo = { path: volumes[0]!.path, kind, bytes: volumes.reduce((n, v) => n + v.bytes, 0), volumes };
  const sumsFile = join(dirname(base), "SHA256SUMS");
  const text = await readFile(sumsFile, "utf8").catch(() => undefined);
  if (text !== undefined) {
    // The first volume that is not as listed decides; all listed and equal is a match.
    let sums: SourceInfo["sums"] = { file: sumsFile, verdict: { state: "match" }, name: basename(volumes[0]!.path) };
    for (const v of volumes) {
      const verdict = checkSums(text, basename(v.path), v.sha256);
      if (verdict.state !== "match") {
        sums = { file: sumsFile, verdict, name: basename(v.path) };
        break;
      }
    }
    info.sums = sums;
  }
  return info;
}

/** A new work folder under `tmpRoot`: `<tmpRoot>/greenbundle verify XXXXXX/`. */
export async function makeWorkDir(tmpRoot: string): Promise<string> {
  return mkdtemp(join(tmpRoot, "greenbundle verify "));
}

/**
 * Unpacks (or copies) the source under `<work>/整合包 测试/` and returns the bundle root (the folder
 * with bundle.json); for an archive, `top` is its single top folder's name, or undefined when its
 * files lie at the top (which a release archive must not do: "extract here" would spill them).
 */
export async function unpackSource(src: SourceInfo, work: string, signal?: AbortSignal): Promise<{ root: string; files: number; bytes: number; top?: string | undefined }> {
  const into = join(work, AWKWARD_DIR);
  if (src.kind === "folder") {
    const dest = join(into, basename(src.path));
    // verbatim links: a bundle's links are relative and must stay so
    await cp(src.path, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    return { root: await findBundleRoot(dest, src.path), files: 0, bytes: 0 };
  }
  // into a folder named after the archive, as "Extract All" and most unzip tools do
  const archiveName = basename(splitBase(src.path) ?? src.path);
  const dest = join(into, withoutArchiveExtension(archiveName));
  if (!src.volumes) {
    const r = await extractArchive(src.path, dest, signal ? { signal } : {});
    const root = await findBundleRoot(dest, src.path);
    return { root, files: r.files, bytes: r.bytes, top: root === dest ? undefined : basename(root) };
  }
  // Volumes are byte ranges of one archive (a zip's directory is in the last): joined first, as
  // `cat x.zip.* > x.zip` or 7-Zip's opening of .001 does. The joined copy goes once unpacked.
  const joined = join(work, archiveName);
  const out = createWriteStream(joined);
  for (const v of src.volumes) await pipeline(createReadStream(v.path), out, { end: false, ...(signal ? { signal } : {}) });
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  try {
    const r = await extractArchive(joined, dest, signal ? { signal } : {});
    const root = await findBundleRoot(dest, src.path);
    return { root, files: r.files, bytes: r.bytes, top: root === dest ? undefined : basename(root) };
  } finally {
    await rm(joined, { force: true });
  }
}

/**
 * The `platform` bundle.json names, read without unpacking where that is cheap (a folder, a zip's
 * central directory), so that a bundle this host cannot boot is refused before a long unpack.
 * Undefined when it cannot be read that way: the unpacked copy's bundle.json then decides.
 */
export async function peekPlatform(src: SourceInfo): Promise<string | undefined> {
  try {
    if (src.kind === "folder") return platformIn(await readFile(join(await findBundleRoot(src.path, src.path), BUNDLE_JSON)));
    if (src.kind !== "zip" || src.volumes) return undefined;
    const { zip, items } = await openZip(src.path);
    try {
      const item = items.find((i) => i.name === BUNDLE_JSON) ?? items.find((i) => /^[^/]+\/bundle\.json$/.test(i.name));
      return item ? platformIn(await readZipEntry(src.path, zip, item)) : undefined;
    } finally {
      zip.close();
    }
  } catch {
    return undefined;
  }
}

function platformIn(json: Buffer): string | undefined {
  const p = (JSON.parse(json.toString("utf8")) as { platform?: unknown } | null)?.platform;
  return typeof p === "string" ? p : undefined;
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
