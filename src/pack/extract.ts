// The one archive reader: every archive greenbundle unpacks (runtimes, MinGit, Node archives,
// build wheels, releases under `bundle verify`) is opened through its format's packer
// (registry.ts), so the entry-name, link and checksum checks of entry-checks.ts apply to all.
// The format comes from the caller, else from the file name, else from the first bytes (cache
// blobs have no extension).

import { open } from "node:fs/promises";
import { BundleError } from "../core/errors.ts";
import type { ArchiveFormat } from "../contract/registry-names.ts";
import { archiveError } from "./entry-checks.ts";
import type { ArchiveReader, ExtractOptions, ExtractResult } from "./packer.ts";
import { PACKERS, packerByName } from "./registry.ts";

export type { ArchiveReader, ExtractOptions, ExtractResult } from "./packer.ts";

/** The format of `archive`: by its name, else by its first bytes; an ARCHIVE error when neither says. */
export async function archiveFormat(archive: string): Promise<ArchiveFormat> {
  const byName = packerByName(archive);
  if (byName) return byName.format;
  const fh = await open(archive, "r");
  let head: Buffer;
  try {
    const b = Buffer.alloc(16);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    head = b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const found = Object.values(PACKERS).find((p) => p.sniff(head));
  if (found) return found.format;
  throw archiveError(archive, `is not an archive greenbundle reads (${Object.keys(PACKERS).join(", ")})`);
}

/** Opens `archive` for reading, as `format` when the caller knows it. Close the reader when done. */
export async function openArchive(archive: string, format?: ArchiveFormat): Promise<ArchiveReader> {
  return PACKERS[format ?? (await archiveFormat(archive))].open(archive);
}

/** Unpacks `archive` into `dest` with every check; `format` when the caller knows it (e.g. a Windows runtime is a zip). */
export async function extractArchive(archive: string, dest: string, opts: ExtractOptions & { format?: ArchiveFormat } = {}): Promise<ExtractResult> {
  const { format, ...rest } = opts;
  const reader = await openArchive(archive, format);
  try {
    return await reader.extract(dest, rest);
  } finally {
    await reader.close();
  }
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
