// Packing a finished bundle folder into its release archive: the format's packer (registry.ts:
// a reproducible .zip or .tar.gz), optionally in volumes, and dist/SHA256SUMS (sums.ts).
// Same folder contents and mtime → byte-identical archive, wherever and whenever it is packed
// (with the same greenbundle and Node versions: deflate output depends on the zlib build).

import { mkdir } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import type { ArchiveFormat } from "../contract/registry-names.ts";
import type { PackResult } from "./packer.ts";
import { PACKERS, withoutArchiveExtension } from "./registry.ts";
import { MIN_SPLIT, sizeBytes } from "../core/size.ts";

export interface PackOptions {
  /** The finished bundle folder. */
  dir: string;
  /** The archive path, with or without its extension. */
  out: string;
  format: ArchiveFormat;
  /** Every entry's timestamp (SOURCE_DATE_EPOCH, or a date derived from the recipe). */
  mtime: Date;
  /**
   * Volume size, in bytes or as the recipe writes it ("2GiB", "700MB"): the archive is cut into
   * `<out>.001`, `.002`, … that concatenate back into it.
   */
  split?: number | string;
  emit?: Emit;
  signal?: AbortSignal;
  /** Deflate model weights too (.safetensors, .ckpt, …): ~8 % smaller, many times slower. */
  deflateWeights?: boolean;
  /** Compression threads (default: all cores). */
  threads?: number;
  /** 7z: the compression level, 1–9 (package.level; default 7). */
  level?: number;
}

/** A volume size in bytes, from a number or a recipe size string (package.split). */
export function parseSize(s: number | string): number {
  if (typeof s === "number") return s;
  const bytes = sizeBytes(s) ?? NaN;
  if (!(bytes >= MIN_SPLIT)) throw new BundleError("USAGE", `package.split must be a size of at least 64 KiB such as 2GiB; got ${JSON.stringify(s)}`);
  return bytes;
}

/** `out` with the format's extension. */
export function archivePath(out: string, format: ArchiveFormat): string {
  const ext = PACKERS[format].extensions[0]!;
  return out.endsWith(ext) ? out : out + ext;
}

export async function packBundle(o: PackOptions): Promise<PackResult> {
  const out = archivePath(o.out, o.format);
  await mkdir(dirname(out), { recursive: true });
  const split = o.split === undefined ? undefined : parseSize(o.split);
  // One top folder named like the archive's stem (`<name>-<version>-<platform>/`).
  const top = withoutArchiveExtension(basename(out));
  return PACKERS[o.format].write({ dir: o.dir, out, top, mtime: o.mtime, split, emit: o.emit, signal: o.signal, threads: o.threads, deflateWeights: o.deflateWeights, ...(o.level !== undefined ? { level: o.level } : {}) });
}

export type { PackResult } from "./packer.ts";
export { writeSha256Sums, parseSums, SUMS_FILE, type SumInput } from "./sums.ts";
export { methodByName } from "./policy.ts";
export { SEVEN_ZIP } from "./sevenzip.ts";
