// The checks every archive read by greenbundle goes through, whatever its format (runtimes, MinGit,
// Node archives, release archives under `bundle verify`): every entry name is refused when it is
// absolute, has a drive letter, a `..` segment or a NUL; links may only point inside the
// destination, and after unpacking every link must still resolve inside it (chains of links);
// file-system errors are said as what they mean (two entries that cannot both exist make the
// archive wrong, a full disk is the destination's trouble).

import { readdir, readlink, realpath } from "node:fs/promises";
import { isAbsolute, join, posix, relative, sep } from "node:path";
import { BundleError, describeError } from "../core/errors.ts";

/** Why an entry name is unsafe, or undefined when it is fine. Names use '/' (backslashes already converted). */
export function entryProblem(name: string): string | undefined {
  if (name.includes("\0")) return "contains a NUL character";
  if (name.startsWith("/") || name.startsWith("\\")) return "is an absolute path";
  if (/^[A-Za-z]:/.test(name)) return "starts with a drive letter";
  if (name.split(/[/\\]/).includes("..")) return "contains '..' and would leave the destination";
  return undefined;
}

/** Whether link target `target` written at `linkPath` (both relative to the destination) stays inside it. */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (isAbsolute(target) || target.startsWith("/") || /^[A-Za-z]:/.test(target) || target.includes("\\")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved !== ".." && !resolved.startsWith("../") && !posix.isAbsolute(resolved);
}

export function archiveError(archive: string, message: string, cause?: unknown): BundleError {
  return new BundleError("ARCHIVE", `${archive}: ${message}`, {
    hint: "the archive is corrupt or unsafe; fetch it again from another mirror, or check where it came from",
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Applies `strip` to a '/'-separated entry path; returns "" for the stripped folder itself. */
export function stripper(archive: string, strip: string | true | undefined) {
  let top: string | undefined = typeof strip === "string" ? strip.replace(/\/+$/, "") : undefined;
  return {
    apply(name: string): string {
      if (strip === undefined) return name;
      const clean = name.replace(/^\.\//, "");
      const [first, ...rest] = clean.split("/");
      top ??= first;
      if (first !== top) throw archiveError(archive, `entry "${name}" is outside the expected top folder "${top}/"`);
      return rest.join("/");
    },
    get top() {
      return top;
    },
  };
}

/** Errors of the destination's disk, not of the archive: a full disk must not read as a corrupt download. */
const DISK_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EIO", "EMFILE", "ENFILE"]);

export function isDiskError(e: unknown): boolean {
  return typeof e === "object" && e !== null && DISK_CODES.has((e as NodeJS.ErrnoException).code ?? "");
}

/** The entry a node-tar error was about, when it says (its `path` is the file being written). */
export function entryOf(e: unknown): string | undefined {
  const p = (e as { path?: unknown }).path;
  return typeof p === "string" ? p : undefined;
}

/**
 * A file-system error while unpacking, said as what it means: two entries that cannot both exist
 * (a file and a folder of one name) make the archive wrong; anything else is the destination's
 * trouble (full disk, permissions). Never a bare errno.
 */
export function writeProblem(archive: string, dest: string, entry: string | undefined, e: unknown, signal: AbortSignal | undefined): unknown {
  if (e instanceof BundleError || signal?.aborted) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR") {
    return archiveError(archive, `entry "${entry}" clashes with another entry of the same name (a file and a folder, or a link and a folder)`, e);
  }
  return new BundleError("IO", `cannot unpack ${entry === undefined ? "" : `"${entry}" of `}${archive} into ${dest}: ${describeError(e)}`, {
    hint: code === "ENOSPC" ? "the disk is full: free some space and run again" : "check that the destination is writable and has free space",
    cause: e,
  });
}

/** After extraction: every symbolic link under `dest` must resolve inside it (catches chains of links). */
export async function checkLinksInside(archive: string, dest: string): Promise<void> {
  const root = await realpath(dest);
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(p);
        } catch {
          throw archiveError(archive, `link "${relative(dest, p)}" → "${await readlink(p)}" points to nothing inside the archive`);
        }
        if (real !== root && !real.startsWith(root + sep)) throw archiveError(archive, `link "${relative(dest, p)}" resolves outside the destination`);
      } else if (d.isDirectory()) await walk(p);
    }
  };
  await walk(dest);
}
