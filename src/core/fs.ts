// Atomic file-system helpers: write under a temporary name in the same folder,
// then rename, so nothing half-written is ever where a finished thing is expected.

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile, stat, open } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { BundleError } from "./errors.ts";

/** A temporary sibling name for `path`: `.<name>.tmp-<pid>-<random>`, same folder so rename is atomic. */
export function tmpSibling(path: string, tag = "tmp"): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Writes a file atomically (temp file, fsync, rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tmpSibling(path);
  try {
    const fh = await open(tmp, "w", mode ?? 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Replaces directory `dest` by the finished directory `src` (same filesystem). */
export async function replaceDir(src: string, dest: string): Promise<void> {
  const old = tmpSibling(dest, "old");
  let moved = false;
  try {
    await rename(dest, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await rename(src, dest);
  if (moved) await rm(old, { recursive: true, force: true });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `dir` could not be created or written, in words. A recursive mkdir reports ENOENT for a
 * read-only or forbidden parent; the nearest existing folder is then probed for the real reason.
 */
export async function whyUnwritable(dir: string, e: unknown): Promise<string> {
  let code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") {
    let at = dir;
    while (dirname(at) !== at && !(await exists(at))) at = dirname(at);
    const probe = join(at, `.gb-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
    code = await mkdir(probe).then(
      () => rm(probe, { recursive: true, force: true }).then(() => code),
      (e2: unknown) => (e2 as NodeJS.ErrnoException).code ?? code,
    );
  }
  if (code === "EEXIST" || code === "ENOTDIR") return "it (or a folder above it) is a file";
  if (code === "EROFS") return "it is on a read-only file system";
  if (code === "EACCES" || code === "EPERM") return "it is not writable";
  if (code === "ENOSPC") return "the disk is full";
  return code ?? String(e);
}

/**
 * Throws an IO error naming `dir` (as `what`) unless a file can be created there: in the folder,
 * or in its nearest existing parent when it does not exist yet. The probe is removed again, so a
 * check that passes leaves nothing behind.
 */
export async function assertWritableDir(dir: string, what: string, hint: string): Promise<void> {
  try {
    let at = dir;
    while (dirname(at) !== at && !(await exists(at))) at = dirname(at);
    const probe = tmpSibling(join(at, "probe"));
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (e) {
    throw new BundleError("IO", `cannot write the ${what} ${dir}: ${await whyUnwritable(dir, e)}`, { hint, cause: e });
  }
}

export { writeFile };
