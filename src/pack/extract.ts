// Safe extraction of .zip and .tar.gz archives (runtimes, MinGit, Node archives, release zips under
// `bundle verify`). DESIGN.md "Archives are checked": every entry name is refused when it is
// absolute, has a drive letter, a `..` segment or a NUL; links may only point inside the
// destination; zip CRCs are checked while streaming (yauzl does not, TOOLCHAIN.md "Archives");
// node-tar only warns, so every warning fails the extraction.

import { createWriteStream } from "node:fs";
import { mkdir, readdir, readlink, realpath, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join, posix, relative, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, inflateRawSync } from "node:zlib";
import type { Entry, ZipFile } from "yauzl";
import { BundleError, describeError } from "../core/errors.ts";

export interface ExtractOptions {
  /**
   * Drop a leading folder from every entry: its name (e.g. "python") or `true` for "the single
   * top folder, whatever it is called". An entry outside that folder is an error.
   */
  strip?: string | true;
  /** Extract only entries whose path (after strip) passes. */
  filter?: (path: string) => boolean;
  /** "refuse" fails on any link entry (Windows targets); default allows links that stay inside. */
  links?: "allow-inside" | "refuse";
  signal?: AbortSignal;
}

export interface ExtractResult {
  files: number;
  dirs: number;
  links: number;
  /** Uncompressed bytes written. */
  bytes: number;
  /** The folder removed by `strip`, if any. */
  stripped?: string;
}

/** Why an entry name is unsafe, or undefined when it is fine. Names use '/' (backslashes already converted). */
export function entryProblem(name: string): string | undefined {
  if (name.includes("\0")) return "contains a NUL character";
  if (name.startsWith("/") || name.startsWith("\\")) return "is an absolute path";
  if (/^[A-Za-z]:/.test(name)) return "starts with a drive letter";
  if (name.split(/[/\\]/).includes("..")) return "contains '..' and would leave the destination";
  return undefined;
}

/** Whether link target `target` written at `linkPath` (both relative to the destination) stays inside it. */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (isAbsolute(target) || target.startsWith("/") || /^[A-Za-z]:/.test(target) || target.includes("\\")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved !== ".." && !resolved.startsWith("../") && !posix.isAbsolute(resolved);
}

function archiveError(archive: string, message: string, cause?: unknown): BundleError {
  return new BundleError("ARCHIVE", `${archive}: ${message}`, {
    hint: "the archive is corrupt or unsafe; fetch it again from another mirror, or check where it came from",
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Applies `strip` to a '/'-separated entry path; returns "" for the stripped folder itself. */
function stripper(archive: string, strip: string | true | undefined) {
  let top: string | undefined = typeof strip === "string" ? strip.replace(/\/+$/, "") : undefined;
  return {
    apply(name: string): string {
      if (strip === undefined) return name;
      const clean = name.replace(/^\.\//, "");
      const [first, ...rest] = clean.split("/");
      top ??= first;
      if (first !== top) throw archiveError(archive, `entry "${name}" is outside the expected top folder "${top}/"`);
      return rest.join("/");
    },
    get top() {
      return top;
    },
  };
}

// ---------------------------------------------------------------- zip

/** One zip entry with its name decoded and checked. */
export interface ZipItem {
  name: string;
  entry: Entry;
  kind: "file" | "dir" | "link";
  /** Unix permission bits when the zip was made on Unix, else undefined. */
  mode: number | undefined;
}

/** Opens a zip (from `data` when given) and lists its entries, names decoded and checked. Close with `zip.close()`. */
export async function openZip(archive: string, data?: Buffer): Promise<{ zip: ZipFile; items: ZipItem[] }> {
  const yauzl = await import("yauzl");
  let zip: ZipFile;
  try {
    // decodeStrings:false so that a bad name reaches our own check and message, not yauzl's.
    const o = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true };
    // From memory when the caller has the bytes: yauzl reads the central directory from a file
    // with two reads per entry, each a thread-pool round trip.
    zip = await new Promise<ZipFile>((res, rej) => (data ? yauzl.fromBuffer(data, o, (e, z) => (e ? rej(e) : res(z))) : yauzl.open(archive, o, (e, z) => (e ? rej(e) : res(z)))));
  } catch (e) {
    throw archiveError(archive, `not a readable zip (${describeError(e)})`, e);
  }
  const items: ZipItem[] = [];
  const seen = new Set<string>();
  try {
    await new Promise<void>((res, rej) => {
      zip.on("entry", (entry: Entry) => {
        try {
          const raw = entry.fileName as unknown as Buffer;
          const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
          const why = entryProblem(name);
          if (why) throw archiveError(archive, `entry "${name}" ${why}`);
          const unix = entry.versionMadeBy >> 8 === 3;
          const type = (entry.externalFileAttributes >>> 16) & 0o170000;
          const kind = name.endsWith("/") ? "dir" : unix && type === 0o120000 ? "link" : "file";
          const key = name.replace(/\/+$/, "");
          if (kind !== "dir" && seen.has(key)) throw archiveError(archive, `entry "${name}" appears twice`);
          seen.add(key);
          items.push({ name, entry, kind, mode: unix ? (entry.externalFileAttributes >>> 16) & 0o7777 : undefined });
          zip.readEntry();
        } catch (e) {
          rej(e);
        }
      });
      zip.on("end", () => res());
      zip.on("error", (e: Error) => rej(archiveError(archive, `broken zip (${e.message})`, e)));
      zip.readEntry();
    });
  } catch (e) {
    zip.close();
    throw e;
  }
  return { zip, items };
}

/** A read stream of one zip entry's uncompressed bytes; fails at the end when the CRC-32 differs. */
export async function zipEntryStream(archive: string, zip: ZipFile, item: ZipItem): Promise<Readable> {
  const raw = await new Promise<Readable>((res, rej) => zip.openReadStream(item.entry, (e, s) => (e ? rej(archiveError(archive, `cannot read "${item.name}" (${e.message})`, e)) : res(s))));
  let crc = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb) {
      cb(crc >>> 0 === item.entry.crc32 >>> 0 ? null : archiveError(archive, `entry "${item.name}" fails its CRC-32 check (corrupt archive)`));
    },
  });
  raw.on("error", (e) => check.destroy(e instanceof BundleError ? e : archiveError(archive, `entry "${item.name}": ${e.message}`, e)));
  return raw.pipe(check);
}

/** Reads one small zip entry into memory (CRC checked). */
export async function readZipEntry(archive: string, zip: ZipFile, item: ZipItem): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await zipEntryStream(archive, zip, item)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * One entry's bytes from a zip held in memory (CRC checked), without streams: for archives of
 * many small files (wheels) this is several times faster than a read stream per entry.
 */
export function zipEntryFromBuffer(archive: string, data: Buffer, item: ZipItem): Buffer {
  const e = item.entry;
  const at = e.relativeOffsetOfLocalHeader;
  if (at + 30 > data.length || data.readUInt32LE(at) !== 0x04034b50) throw archiveError(archive, `entry "${item.name}" has no local header where the central directory says`);
  const start = at + 30 + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  if (start + e.compressedSize > data.length) throw archiveError(archive, `entry "${item.name}" runs past the end of the archive`);
  const raw = data.subarray(start, start + e.compressedSize);
  let out: Buffer;
  try {
    if (e.compressionMethod === 0) out = raw;
    // One output chunk of the announced size (no concatenation); more than announced is an error.
    else if (e.compressionMethod === 8) out = inflateRawSync(raw, { chunkSize: Math.max(64, e.uncompressedSize), maxOutputLength: Math.max(1, e.uncompressedSize) });
    else throw new Error(`compression method ${e.compressionMethod} is not supported`);
  } catch (err) {
    throw archiveError(archive, `entry "${item.name}" cannot be decompressed (${(err as Error).message})`, err);
  }
  if (out.length !== e.uncompressedSize) throw archiveError(archive, `entry "${item.name}" is ${out.length} bytes, its header says ${e.uncompressedSize}`);
  if (crc32(out) >>> 0 !== e.crc32 >>> 0) throw archiveError(archive, `entry "${item.name}" fails its CRC-32 check (corrupt archive)`);
  return out;
}

export async function extractZip(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const { zip, items } = await openZip(archive);
  const strip = stripper(archive, opts.strip);
  const result: ExtractResult = { files: 0, dirs: 0, links: 0, bytes: 0 };
  const links: { at: string; target: string }[] = [];
  try {
    await mkdir(dest, { recursive: true });
    for (const item of items) {
      opts.signal?.throwIfAborted();
      const rel = strip.apply(item.name).replace(/\/+$/, "");
      if (rel === "" || (opts.filter && !opts.filter(rel))) continue;
      await writeZipItem(archive, zip, item, rel, dest, opts, result, links).catch((e: unknown) => {
        throw writeProblem(archive, dest, item.name, e, opts.signal);
      });
    }
    for (const l of links) {
      await mkdir(dirname(join(dest, l.at)), { recursive: true });
      await symlink(l.target, join(dest, ...l.at.split("/"))).catch((e: unknown) => {
        throw writeProblem(archive, dest, l.at, e, opts.signal);
      });
      result.links++;
    }
    if (links.length > 0) await checkLinksInside(archive, dest);
  } finally {
    zip.close();
  }
  return strip.top !== undefined && opts.strip !== undefined ? { ...result, stripped: strip.top } : result;
}

/**
 * An ARCHIVE error on a downloaded file whose sha256 matched its pin, said about the artifact (its
 * id and URL, not the cache path), with the hint that fits: another mirror would send the same
 * bytes, so the recipe or lock pins a file that is not the archive expected.
 */
export function pinnedArchiveError(e: unknown, a: { id: string; url: string; path: string }): unknown {
  if (!(e instanceof BundleError) || e.code !== "ARCHIVE") return e;
  const message = e.message.startsWith(`${a.path}: `) ? e.message.slice(a.path.length + 2) : e.message;
  return new BundleError("ARCHIVE", `${a.id} (${a.url}): ${message}`, {
    hint: "its bytes match the sha256 pinned in the recipe or lock, so another mirror would send the same: check that the URL names the right archive, then pin its hash again",
    cause: e,
    details: { path: a.path },
  });
}

/** Errors of the destination's disk, not of the archive: a full disk must not read as a corrupt download. */
const DISK_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EIO", "EMFILE", "ENFILE"]);

function isDiskError(e: unknown): boolean {
  return typeof e === "object" && e !== null && DISK_CODES.has((e as NodeJS.ErrnoException).code ?? "");
}

/** The entry a node-tar error was about, when it says (its `path` is the file being written). */
function entryOf(e: unknown): string | undefined {
  const p = (e as { path?: unknown }).path;
  return typeof p === "string" ? p : undefined;
}

/**
 * A file-system error while unpacking, said as what it means: two entries that cannot both exist
 * (a file and a folder of one name) make the archive wrong; anything else is the destination's
 * trouble (full disk, permissions). Never a bare errno.
 */
function writeProblem(archive: string, dest: string, entry: string | undefined, e: unknown, signal: AbortSignal | undefined): unknown {
  if (e instanceof BundleError || signal?.aborted) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR") {
    return archiveError(archive, `entry "${entry}" clashes with another entry of the same name (a file and a folder, or a link and a folder)`, e);
  }
  return new BundleError("IO", `cannot unpack ${entry === undefined ? "" : `"${entry}" of `}${archive} into ${dest}: ${describeError(e)}`, {
    hint: code === "ENOSPC" ? "the disk is full: free some space and run again" : "check that the destination is writable and has free space",
    cause: e,
  });
}

async function writeZipItem(archive: string, zip: ZipFile, item: ZipItem, rel: string, dest: string, opts: ExtractOptions, result: ExtractResult, links: { at: string; target: string }[]): Promise<void> {
  const out = join(dest, ...rel.split("/"));
  if (item.kind === "dir") {
    await mkdir(out, { recursive: true });
    result.dirs++;
  } else if (item.kind === "link") {
    if (opts.links === "refuse") throw archiveError(archive, `entry "${item.name}" is a symbolic link, which this target cannot hold`);
    const target = (await readZipEntry(archive, zip, item)).toString("utf8");
    if (!linkStaysInside(rel, target)) throw archiveError(archive, `link "${item.name}" → "${target}" points outside the destination`);
    links.push({ at: rel, target }); // made last, so no file is ever written through a link
  } else {
    await mkdir(dirname(out), { recursive: true });
    const mode = item.mode !== undefined && item.mode & 0o111 ? 0o755 : 0o644;
    await pipeline(await zipEntryStream(archive, zip, item), createWriteStream(out, { mode }), { signal: opts.signal as AbortSignal });
    result.files++;
    result.bytes += item.entry.uncompressedSize;
  }
}

/** After extraction: every symbolic link under `dest` must resolve inside it (catches chains of links). */
export async function checkLinksInside(archive: string, dest: string): Promise<void> {
  const root = await realpath(dest);
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(p);
        } catch {
          throw archiveError(archive, `link "${relative(dest, p)}" → "${await readlink(p)}" points to nothing inside the archive`);
        }
        if (real !== root && !real.startsWith(root + sep)) throw archiveError(archive, `link "${relative(dest, p)}" resolves outside the destination`);
      } else if (d.isDirectory()) await walk(p);
    }
  };
  await walk(dest);
}

// ---------------------------------------------------------------- tar.gz

const TAR_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

export async function extractTarGz(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const tar = await import("tar");
  const strip = stripper(archive, opts.strip);
  const result: ExtractResult = { files: 0, dirs: 0, links: 0, bytes: 0 };
  let problem: BundleError | undefined;
  const fail = (e: BundleError) => (problem ??= e);
  await mkdir(dest, { recursive: true });
  try {
    await tar.x({
      file: archive,
      cwd: dest,
      strict: true,
      preserveOwner: false,
      ...(opts.strip !== undefined ? { strip: 1 } : {}),
      onwarn: (code: string, message: string | Error) =>
        fail(isDiskError(message) ? (writeProblem(archive, dest, entryOf(message), message, opts.signal) as BundleError) : archiveError(archive, `${code}: ${typeof message === "string" ? message : message.message}`)),
      filter: (path, entry) => {
        try {
          const name = path.replace(/\\/g, "/");
          const why = entryProblem(name);
          if (why) throw archiveError(archive, `entry "${name}" ${why}`);
          const type = "type" in entry ? entry.type : "File";
          if (!TAR_TYPES.has(type)) throw archiveError(archive, `entry "${name}" is a ${type}, which a bundle cannot hold`);
          const rel = strip.apply(name).replace(/\/+$/, "");
          if (rel === "") return false;
          if (opts.filter && !opts.filter(rel)) return false;
          if (type === "SymbolicLink" || type === "Link") {
            if (opts.links === "refuse") throw archiveError(archive, `entry "${name}" is a link, which this target cannot hold`);
            const target = "linkpath" in entry ? String(entry.linkpath ?? "") : "";
            const ok = type === "Link" ? entryProblem(target) === undefined : linkStaysInside(rel, target);
            if (!ok) throw archiveError(archive, `link "${name}" → "${target}" points outside the destination`);
            result.links++;
          } else if (type === "Directory") result.dirs++;
          else {
            result.files++;
            result.bytes += "size" in entry ? Number(entry.size) : 0;
          }
          return problem === undefined;
        } catch (e) {
          fail(e as BundleError);
          return false;
        }
      },
    });
  } catch (e) {
    if (problem) throw problem;
    if (opts.signal?.aborted) throw e;
    throw isDiskError(e) ? writeProblem(archive, dest, entryOf(e), e, opts.signal) : archiveError(archive, `not a readable tar.gz (${describeError(e)})`, e);
  }
  if (problem) throw problem;
  if (result.links > 0) await checkLinksInside(archive, dest);
  return strip.top !== undefined && opts.strip !== undefined ? { ...result, stripped: strip.top } : result;
}

/** Extracts by file name (.zip/.whl or .tar.gz/.tgz), falling back to the magic bytes. */
export async function extractArchive(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  return (await archiveKind(archive)) === "zip" ? extractZip(archive, dest, opts) : extractTarGz(archive, dest, opts);
}

export async function archiveKind(archive: string): Promise<"zip" | "tar.gz"> {
  const lower = archive.toLowerCase();
  if (/\.(zip|whl)$/.test(lower)) return "zip";
  if (/\.(tar\.gz|tgz)$/.test(lower)) return "tar.gz";
  const { open } = await import("node:fs/promises");
  const fh = await open(archive, "r");
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    if (b.readUInt32LE(0) === 0x04034b50) return "zip";
    if (b[0] === 0x1f && b[1] === 0x8b) return "tar.gz";
  } finally {
    await fh.close();
  }
  throw archiveError(archive, "is neither a zip nor a gzip-compressed tar");
}
