// Reading one wheel and deciding where every entry goes, before anything is written
// ("Binary distribution format", "Installing a wheel": spread step). Pure routing on top of the
// zip listing: root files to purelib or platlib by Root-Is-Purelib, `<dist>.data/<key>/…` onto the
// target's scheme, and RECORD paths relative to the site-packages folder holding the .dist-info.

import { readFile, stat } from "node:fs/promises";
import { basename, posix } from "node:path";
import type { ZipFile } from "yauzl";
import { BundleError } from "../core/errors.ts";
import { openZip, readZipEntry, type ZipItem } from "../pack/zip-read.ts";
import { parseEntryPoints, parseMetadata, parseRecord, parseWheelFile, type CoreMetadata, type EntryPoint, type WheelInfo } from "./metadata.ts";
import { normalizeName } from "./pep508.ts";
import { parseWheelFilename } from "./tags.ts";
import type { Scheme, Target } from "./target.ts";

const SCHEME_KEYS = new Set<keyof Scheme>(["purelib", "platlib", "scripts", "data", "headers"]);

export interface RoutedEntry {
  item: ZipItem;
  /** Destination relative to the bundle root. */
  dest: string;
  /** Path written into the installed RECORD (relative to site-packages). */
  recordPath: string;
  /** The hash the wheel's own RECORD gives ("sha256=…"), if any. */
  expected?: string;
  script: boolean;
  executable: boolean;
}

export interface WheelLayout {
  path: string;
  filename: string;
  name: string;
  version: string;
  /** `<escaped>-<version>.dist-info`, as in the wheel. */
  distInfo: string;
  /** The site-packages folder holding it, relative to the bundle root. */
  site: string;
  metadata: CoreMetadata;
  wheel: WheelInfo;
  entryPoints: EntryPoint[];
  entries: RoutedEntry[];
  /** Files the wheel's RECORD does not list (reported, not fatal). */
  unlisted: string[];
  /** Open only for wheels too big to read into memory (their large entries are streamed). */
  zip?: ZipFile;
  /** Small enough to be read whole into memory when it is unpacked. */
  inMemory: boolean;
}

export function wheelError(filename: string, message: string, hint?: string): BundleError {
  return new BundleError("ARCHIVE", `${filename}: ${message}`, { hint: hint ?? "the wheel is broken or unsafe; fetch it again, or pin another file" });
}

/** Opens a wheel and routes every entry; the caller closes `layout.zip`. */
// Wheels up to this size are read into memory once; the installer inflates entries from there.
const IN_MEMORY = 64 << 20;

export async function readWheelLayout(path: string, target: Target, filename = basename(path)): Promise<WheelLayout> {
  let opened: Awaited<ReturnType<typeof openZip>>;
  let data: Buffer | undefined;
  try {
    if ((await stat(path)).size <= IN_MEMORY) data = await readFile(path);
    opened = await openZip(path, data);
  } catch (e) {
    // extract.ts names the cache blob; say which wheel it is.
    throw e instanceof BundleError ? wheelError(filename, e.message.replace(`${path}: `, ""), e.hint) : e;
  }
  const { zip, items } = opened;
  try {
    const layout = await route(path, filename, zip, items, target);
    return data ? { ...layout, inMemory: true } : { ...layout, zip, inMemory: false };
  } catch (e) {
    if (!data) zip.close();
    throw e;
  } finally {
    // Held only while routing: the installer reads small wheels again (from the page cache) one at a time.
    if (data) zip.close();
  }
}

/** Closes what a layout holds open. */
export function closeLayout(l: WheelLayout): void {
  l.zip?.close();
  delete l.zip;
}

async function route(path: string, filename: string, zip: ZipFile, items: ZipItem[], target: Target): Promise<Omit<WheelLayout, "inMemory">> {
  const parsed = parseWheelFilename(filename);
  const infos = [...new Set(items.map((i) => i.name.split("/")[0]!).filter((t) => t.endsWith(".dist-info")))];
  const distInfo = infos.find((d) => !parsed || normalizeName(d.slice(0, -".dist-info".length).split("-")[0]!) === parsed.name);
  if (!distInfo || infos.length !== 1) throw wheelError(filename, infos.length === 0 ? "has no .dist-info folder" : `has ${infos.length} .dist-info folders (${infos.join(", ")}); a wheel has exactly one`);
  const read = async (name: string) => {
    const item = items.find((i) => i.name === `${distInfo}/${name}`);
    return item ? (await readZipEntry(path, zip, item)).toString("utf8") : undefined;
  };
  const metadataText = await read("METADATA");
  const wheelText = await read("WHEEL");
  const recordText = await read("RECORD");
  if (!metadataText || !wheelText) throw wheelError(filename, `${distInfo} lacks ${metadataText ? "WHEEL" : "METADATA"}`);
  if (recordText === undefined) throw wheelError(filename, `${distInfo} lacks RECORD, so its files cannot be checked`);
  const wheel = parseWheelFile(wheelText);
  if (!/^1\.\d+$/.test(wheel.wheelVersion)) throw wheelError(filename, `Wheel-Version ${wheel.wheelVersion || "(none)"} is not supported (only 1.x)`);
  const metadata = parseMetadata(metadataText);
  const entryPoints = parseEntryPoints((await read("entry_points.txt")) ?? "");
  // Launchers are named after entry points: a name with a path in it could write outside Scripts/.
  const badName = entryPoints.find((ep) => !/^[A-Za-z0-9_][A-Za-z0-9._+-]*$/.test(ep.name) || ep.name.includes(".."));
  if (badName) throw wheelError(filename, `entry point "${badName.name}" is not a plain file name`);
  const recorded = new Map(parseRecord(recordText).map((r) => [r.path, r.hash]));

  const dataDir = distInfo.replace(/\.dist-info$/, ".data");
  const site = target.scheme.purelib;
  const root = wheel.rootIsPurelib ? target.scheme.purelib : target.scheme.platlib;
  const entries: RoutedEntry[] = [];
  const unlisted: string[] = [];
  for (const item of items) {
    if (item.kind === "dir") continue;
    if (item.kind === "link") throw wheelError(filename, `entry "${item.name}" is a symbolic link; wheels may not contain links`);
    if (item.name === `${distInfo}/RECORD` || item.name === `${distInfo}/INSTALLER` || /^[^/]+\.dist-info\/RECORD\.(jws|p7s)$/.test(item.name)) continue;
    const parts = item.name.split("/");
    let dest: string;
    let script = false;
    if (parts[0] === dataDir) {
      const key = parts[1] as keyof Scheme;
      if (!SCHEME_KEYS.has(key) || parts.length < 3) throw wheelError(filename, `entry "${item.name}" is in an unknown .data folder "${parts[1]}"`);
      dest = posix.join(target.scheme[key], ...parts.slice(2));
      script = key === "scripts";
    } else dest = posix.join(root, item.name);
    const expected = recorded.get(item.name);
    if (expected === undefined) unlisted.push(item.name);
    entries.push({
      item,
      dest,
      recordPath: posix.relative(site, dest),
      ...(expected ? { expected } : {}),
      script,
      executable: script || (item.mode !== undefined && (item.mode & 0o111) !== 0),
    });
  }
  const name = normalizeName(metadata.name || parsed?.name || "");
  return { path, filename, name, version: metadata.version || parsed?.version || "", distInfo, site, metadata, wheel, entryPoints, entries, unlisted };
}
