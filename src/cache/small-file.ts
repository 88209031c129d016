// Small bookkeeping files (index records, segment state): temp name, then rename, but no fsync.
// They can be rebuilt or are only hints (a lost record means a blob's source URL is unknown, a
// lost segment state means a download starts over), and an fsync per file made fetching 300
// small files several times slower. Blobs themselves are never written through here.

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
