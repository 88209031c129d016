// Reading tar.gz archives: releases, python-build-standalone runtimes and Node archives, through
// the tar.gz packer's `open`. node-tar only warns about what it skips, so every warning fails the
// extraction; entry names, types and links are checked in its filter before anything is written.

import { mkdir } from "node:fs/promises";
import { describeError, type BundleError } from "../core/errors.ts";
import { archiveError, checkLinksInside, entryOf, entryProblem, isDiskError, linkStaysInside, stripper, writeProblem } from "./entry-checks.ts";
import type { ArchiveReader, ExtractOptions, ExtractResult } from "./packer.ts";

const TAR_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

async function extractTarGz(archive: string, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
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

/** The tar.gz packer's reader: a tar.gz is read front to back, so opening it reads nothing yet. */
export async function openTarGzArchive(archive: string): Promise<ArchiveReader> {
  return { archive, format: "tar.gz", extract: (dest, opts) => extractTarGz(archive, dest, opts), close: async () => {} };
}
