// Reading zip archives: releases, MinGit, the Windows runtime and Node archives (through the zip
// packer's `open`), and wheels, whose entries are read without unpacking. yauzl reads the
// central directory; every name is decoded and checked before anything is written, CRC-32s are
// checked while streaming (yauzl does not check them), and links are made last, so that no file
// is ever written through a link.

import { createWriteStream } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, inflateRawSync } from "node:zlib";
import type { Entry, ZipFile } from "yauzl";
import { BundleError, describeError } from "../core/errors.ts";
import { archiveError, checkLinksInside, entryProblem, linkStaysInside, stripper, writeProblem } from "./entry-checks.ts";
import type { ArchiveReader, ExtractOptions, ExtractResult } from "./packer.ts";

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

/** Unpacks an opened zip into `dest` (the zip stays open). */
async function extractOpened(archive: string, zip: ZipFile, items: readonly ZipItem[], dest: string, opts: ExtractOptions): Promise<ExtractResult> {
  const strip = stripper(archive, opts.strip);
  const result: ExtractResult = { files: 0, dirs: 0, links: 0, bytes: 0 };
  const links: { at: string; target: string }[] = [];
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
  return strip.top !== undefined && opts.strip !== undefined ? { ...result, stripped: strip.top } : result;
}

/** The zip packer's reader: the central directory is read and every name checked on opening. */
export async function openZipArchive(archive: string): Promise<ArchiveReader> {
  const { zip, items } = await openZip(archive);
  return {
    archive,
    format: "zip",
    extract: (dest, opts = {}) => extractOpened(archive, zip, items, dest, opts),
    close: async () => zip.close(),
  };
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
