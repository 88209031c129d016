// The Node base binary out of a nodejs.org distribution archive (the recipe's `launcher.node`
// artifact, already verified into the cache), named and laid out as the platform's `node` fact
// says: `node-v<ver>-linux-x64.tar.gz` holds `node-v<ver>-linux-x64/bin/node`,
// `node-v<ver>-win-x64.zip` holds `node-v<ver>-win-x64/node.exe`.
// The format is read from the bytes (cache blobs have no extension), and the version in the
// archive's folder name must be the one the build expects: the SEA blob is version-specific.
// The archive is read like every other one (src/pack/extract.ts): every entry's name is checked,
// not only the one taken, and the binary must be a regular file, not a link.

import { lstat, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ArchiveFormat } from "../contract/registry-names.ts";
import { BundleError } from "../core/errors.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";
import { nodeArchiveName, nodeDistName, PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { archiveFormat, extractArchive } from "../pack/extract.ts";
import { PACKERS } from "../pack/registry.ts";

/** The path of the node binary inside the archive for `platform` at `version`. */
export function nodeEntryName(platform: Platform, version: string): string {
  return `${nodeDistName(platform, version)}/${PLATFORM_FACTS[platform].node.binary}`;
}

/** The format of the archive, or undefined when it is none greenbundle reads. */
async function formatOf(archive: string): Promise<ArchiveFormat | undefined> {
  try {
    return await archiveFormat(archive);
  } catch (e) {
    if (e instanceof BundleError && e.code === "ARCHIVE") return undefined;
    throw new BundleError("BUILD", `cannot read the Node archive ${archive}`, { cause: e, hint: "run `bundle fetch` again so that the launcher's Node binary is in the cache" });
  }
}

/** Extracts the node binary of `archive` to `dest` (temp name, then rename). */
export async function extractNodeBinary(archive: string, platform: Platform, version: string, dest: string): Promise<void> {
  const entry = nodeEntryName(platform, version);
  const wanted: ArchiveFormat = PLATFORM_FACTS[platform].node.archive;
  const ext = PACKERS[wanted].extensions[0]!;
  const kind = await formatOf(archive);
  if (kind !== wanted) {
    throw new BundleError("BUILD", `the Node archive for ${platform} must be a ${ext} from nodejs.org; ${archive} is ${kind === undefined ? "neither" : `a ${kind} file`}`, {
      hint: `point launcher.node.${platform} in the recipe at ${nodeArchiveName(platform, version)}`,
    });
  }
  await mkdir(dirname(dest), { recursive: true });
  const work = `${tmpSibling(dest)}.x`;
  try {
    await extractArchive(archive, work, { format: wanted, filter: (p) => p === entry });
    const got = join(work, ...entry.split("/"));
    const st = await lstat(got).catch(() => undefined);
    if (!st) {
      throw new BundleError("BUILD", `the Node archive ${archive} has no ${entry}`, {
        hint: `launcher.node.${platform} must be the nodejs.org archive of Node ${version} (the version is read from its URL)`,
      });
    }
    if (!st.isFile()) throw new BundleError("ARCHIVE", `${archive}: entry "${entry}" is not a regular file`, { hint: "the archive is not one nodejs.org publishes; fetch it again, or check where it came from" });
    await renameRetry(got, dest);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
