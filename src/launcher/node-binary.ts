// The Node base binary out of a nodejs.org distribution archive (the recipe's `launcher.node`
// artifact, already verified into the cache), named and laid out as the platform's `node` fact
// says: `node-v<ver>-linux-x64.tar.gz` holds `node-v<ver>-linux-x64/bin/node`,
// `node-v<ver>-win-x64.zip` holds `node-v<ver>-win-x64/node.exe`.
// The format is read from the bytes (cache blobs have no extension), and the version in the
// archive's folder name must be the one the build expects: the SEA blob is version-specific.

import { createWriteStream } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { BundleError } from "../core/errors.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";
import { nodeArchiveName, nodeDistName, PLATFORM_FACTS, type Platform } from "../core/platform.ts";

async function magic(path: string): Promise<"gzip" | "zip" | "xz" | "unknown"> {
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(6);
    await fh.read(b, 0, 6, 0);
    if (b[0] === 0x1f && b[1] === 0x8b) return "gzip";
    if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return "zip";
    if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "xz";
    return "unknown";
  } finally {
    await fh.close();
  }
}

/** The path of the node binary inside the archive for `platform` at `version`. */
export function nodeEntryName(platform: Platform, version: string): string {
  return `${nodeDistName(platform, version)}/${PLATFORM_FACTS[platform].node.binary}`;
}

async function fromTarGz(archive: string, entry: string, dest: string): Promise<boolean> {
  const { x } = await import("tar");
  const dir = `${dest}.x`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let found = false;
  await x({ file: archive, cwd: dir, filter: (p) => (p === entry ? (found = true) : false) });
  if (found) await renameRetry(join(dir, entry), dest);
  await rm(dir, { recursive: true, force: true });
  return found;
}

async function fromZip(archive: string, entry: string, dest: string): Promise<boolean> {
  const yauzl = (await import("yauzl")).default;
  const zip = await new Promise<import("yauzl").ZipFile>((res, rej) => yauzl.open(archive, { lazyEntries: true, autoClose: true }, (e, z) => (e ? rej(e) : res(z))));
  return new Promise<boolean>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", () => resolve(false));
    zip.on("entry", (e: import("yauzl").Entry) => {
      if (e.fileName !== entry) return zip.readEntry();
      zip.openReadStream(e, (err, stream) => {
        if (err) return reject(err);
        pipeline(stream, createWriteStream(dest)).then(() => {
          zip.close();
          resolve(true);
        }, reject);
      });
    });
    zip.readEntry();
  });
}

/** Extracts the node binary of `archive` to `dest` (temp name, then rename). */
export async function extractNodeBinary(archive: string, platform: Platform, version: string, dest: string): Promise<void> {
  const entry = nodeEntryName(platform, version);
  const kind = await magic(archive).catch((cause) => {
    throw new BundleError("BUILD", `cannot read the Node archive ${archive}`, { cause, hint: "run `bundle fetch` again so that the launcher's Node binary is in the cache" });
  });
  const format = PLATFORM_FACTS[platform].node.archive;
  const wanted = format === "zip" ? "zip" : "gzip";
  if (kind !== wanted) {
    throw new BundleError("BUILD", `the Node archive for ${platform} must be a .${format} from nodejs.org; ${archive} is ${kind === "unknown" ? "neither" : `a ${kind} file`}`, {
      hint: `point launcher.node.${platform} in the recipe at ${nodeArchiveName(platform, version)}`,
    });
  }
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tmpSibling(dest);
  try {
    const found = kind === "zip" ? await fromZip(archive, entry, tmp) : await fromTarGz(archive, entry, tmp);
    if (!found) {
      throw new BundleError("BUILD", `the Node archive ${archive} has no ${entry}`, {
        hint: `launcher.node.${platform} must be the nodejs.org archive of Node ${version} (the version is read from its URL)`,
      });
    }
    await renameRetry(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}
