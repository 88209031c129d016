// Files placed from the cache into the bundle. A hardlink costs nothing, so a warm
// rebuild of a 10 GB bundle "mostly links"; when the cache and the output are on different
// filesystems a reflink (copy-on-write clone) is next best, then a plain copy. The choice is
// probed once per build and then used for every file (pnpm's importer does the same). Cache blobs
// are read-only (0444) and never written through: a hardlinked file in the bundle *is* the blob,
// so nothing after this step may open these files for writing or chmod them.

import { constants } from "node:fs";
import { copyFile, link, mkdir, readlink, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BundleError, describeError } from "../core/errors.ts";
import { tmpSibling } from "../core/fs.ts";
import { escapingLinks } from "../core/links.ts";

export type LinkStrategy = "hardlink" | "reflink" | "copy";

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Finds the cheapest way to bring `sampleBlob` (any file in the cache) into `outDir`. The probe
 * files are removed again.
 */
export async function probeLinkStrategy(sampleBlob: string, outDir: string): Promise<LinkStrategy> {
  await mkdir(outDir, { recursive: true });
  const probe = tmpSibling(join(outDir, "link-probe"));
  try {
    await link(sampleBlob, probe);
    return "hardlink";
  } catch {
    // EXDEV (another filesystem), EPERM (filesystems or policies without hardlinks), EMLINK
  } finally {
    await rm(probe, { force: true });
  }
  try {
    await copyFile(sampleBlob, probe, constants.COPYFILE_FICLONE_FORCE);
    return "reflink";
  } catch {
    return "copy";
  } finally {
    await rm(probe, { force: true });
  }
}

/** Places one cache blob at `dest` (which must not exist yet). */
export async function placeBlob(blob: string, dest: string, strategy: LinkStrategy): Promise<LinkStrategy> {
  await mkdir(dirname(dest), { recursive: true });
  try {
    if (strategy === "hardlink") {
      try {
        await link(blob, dest);
        return "hardlink";
      } catch (e) {
        // A link count limit (EMLINK) on a much-shared blob: copy this one.
        if (errno(e) !== "EMLINK") throw e;
      }
    }
    await copyFile(blob, dest, constants.COPYFILE_EXCL | (strategy === "reflink" ? constants.COPYFILE_FICLONE : 0));
    return strategy === "reflink" ? "reflink" : "copy";
  } catch (e) {
    if (errno(e) === "EEXIST") {
      throw new BundleError("BUILD", `two parts of the recipe write ${dest}`, { hint: "give each file, repository and extension its own path", cause: e });
    }
    throw new BundleError("IO", `cannot place ${blob} at ${dest}: ${describeError(e)}`, { cause: e });
  }
}

/** Writes an inline `text:` file of the recipe. */
export async function placeText(text: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  try {
    await writeFile(dest, text, { flag: "wx", mode: 0o644 });
  } catch (e) {
    if (errno(e) === "EEXIST") throw new BundleError("BUILD", `two parts of the recipe write ${dest}`, { hint: "give each file its own path", cause: e });
    throw new BundleError("IO", `cannot write ${dest}: ${describeError(e)}`, { cause: e });
  }
}

/**
 * The last look before the bundle folder gets its final name: no symbolic link in it may lead
 * outside (repositories are checked when placed; this catches any other stage). A folder that
 * fails here is never renamed, so nothing finished-looking is left with such a link.
 */
export async function refuseEscapingLinks(root: string, entries: readonly { path: string; kind: string }[]): Promise<void> {
  const links = new Map<string, string>();
  for (const e of entries) if (e.kind === "link") links.set(e.path, await readlink(join(root, ...e.path.split("/"))));
  const bad = escapingLinks(links);
  if (!bad.length) return;
  throw new BundleError("BUILD", `${bad.length} symbolic link(s) in the bundle point outside it:\n${bad.map((b) => `  ${b.path} -> ${b.target} (${b.why})`).join("\n")}`, {
    hint: "a bundle must be self-contained: replace each link with what it points to, or leave it out",
    details: { links: bad },
  });
}
