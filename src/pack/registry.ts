// The release archive formats, one Packer each in its own file. Everything that writes or reads
// an archive goes through this table (build, verify, the archive reader, the command line's
// choices come from the same names), so a new format is its file, its line here and its name in
// src/contract/registry-names.ts.

import type { ArchiveFormat } from "../contract/registry-names.ts";
import type { Packer } from "./packer.ts";
import { sevenZipPacker } from "./sevenzip.ts";
import { tarGzPacker } from "./targz.ts";
import { zipPacker } from "./zip.ts";

export const PACKERS: { readonly [F in ArchiveFormat]: Packer<F> } = {
  zip: zipPacker,
  "tar.gz": tarGzPacker,
  "7z": sevenZipPacker,
};

/** The packer whose file name ending `name` has (case-insensitive), if any. */
export function packerByName(name: string): Packer | undefined {
  const lower = name.toLowerCase();
  return Object.values(PACKERS).find((p) => p.extensions.some((e) => lower.endsWith(e)));
}

/** Every archive file name ending greenbundle reads, longest first (".tar.gz" before ".gz"). */
export function archiveExtensions(): string[] {
  return Object.values(PACKERS)
    .flatMap((p) => [...p.extensions])
    .sort((a, b) => b.length - a.length);
}

/** `name` without its archive ending (".zip", ".tar.gz", …), if it has one. */
export function withoutArchiveExtension(name: string): string {
  const lower = name.toLowerCase();
  const ext = archiveExtensions().find((e) => lower.endsWith(e));
  return ext ? name.slice(0, -ext.length) : name;
}
