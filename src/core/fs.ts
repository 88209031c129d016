// Atomic file-system helpers: write under a temporary name in the same folder,
// then rename, so nothing half-written is ever where a finished thing is expected.

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile, stat, open } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BundleError } from "./errors.ts";

/** Error codes a rename on Windows reports while another program (an antivirus scanner, the search indexer, Explorer) still holds the file open. */
const HELD_OPEN = new Set(["EBUSY", "EPERM", "EACCES"]);

export interface RenameRetry {
  /** Retry EBUSY/EPERM/EACCES (default: on Windows hosts only; elsewhere these codes are permanent). */
  held?: boolean;
  /** Give up after this many milliseconds of retrying (default 20 s). */
  budgetMs?: number;
  /** The rename to use (tests). */
  rename?: (from: string, to: string) => Promise<void>;
}

/**
 * rename() that outlasts a file held open for a moment. On Windows, a scanner opens every new
 * file to read it, and MoveFileEx fails with a sharing violation (EBUSY, EPERM or EACCES) until
 * it lets go — usually within milliseconds, for a large model sometimes seconds. The rename is
 * tried again with a growing pause (50 ms doubling, at most 2 s apart) until it succeeds, fails
 * otherwise, or the budget is spent; then the last error is thrown as it was.
 */
export async function renameRetry(from: string, to: string, o: RenameRetry = {}): Promise<void> {
  const doRename = o.rename ?? rename;
  const held = o.held ?? process.platform === "win32";
  const budget = o.budgetMs ?? 20_000;
  let waited = 0;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await doRename(from, to);
    } catch (e) {
      if (!held || !HELD_OPEN.has((e as NodeJS.ErrnoException).code ?? "") || waited >= budget) throw e;
    }
    await sleep(delay);
    waited += delay;
  }
}

/**
 * A path the user typed, as Node wants it. Windows accepts `\\?\C:\…` (and `\\?\UNC\server\…`)
 * to lift the 260-character limit, but Node already adds that prefix to every file-system call
 * itself, and path.relative, child processes and messages do not understand it: strip it.
 */
export function hostPath(p: string, windows = process.platform === "win32"): string {
  if (!windows) return p;
  if (/^\\\\\?\\UNC\\/i.test(p)) return `\\\\${p.slice(8)}`;
  if (/^\\\\\?\\[A-Za-z]:/.test(p)) return p.slice(4);
  return p;
}

/**
 * Whether the file system holding `dir` (which must exist) ignores case, as NTFS and APFS do by
 * default: two names that differ only in case are then one file. Probed with a file of our own.
 */
export async function ignoresCase(dir: string): Promise<boolean> {
  const probe = join(dir, `.gb-case-${process.pid}-${randomBytes(4).toString("hex")}`);
  await writeFile(probe, "");
  try {
    return await exists(probe.replace(/gb-case-/, "GB-CASE-"));
  } finally {
    await rm(probe, { force: true });
  }
}

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
    await renameRetry(tmp, path);
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
    await renameRetry(dest, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await renameRetry(src, dest);
  if (moved) await rm(old, { recursive: true, force: true, maxRetries: 5 });
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
