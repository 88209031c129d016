// Small bookkeeping files (index records, segment state): temp name, then rename, but no fsync.
// They can be rebuilt or are only hints (a lost record means a blob's source URL is unknown, a
// lost segment state means a download starts over), and an fsync per file made fetching 300
// small files several times slower. Blobs themselves are never written through here.

import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { renameRetry, tmpSibling } from "../core/fs.ts";

export async function writeSmallFile(path: string, data: string): Promise<void> {
  const tmp = tmpSibling(path);
  try {
    await writeFile(tmp, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
  }
  try {
    await renameRetry(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The same, synchronously: for state that must be on disk the moment it is decided. */
export function writeSmallFileSync(path: string, data: string): void {
  const tmp = tmpSibling(path);
  try {
    writeFileSync(tmp, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
