// The output folder, where nothing half-done is ever left where a finished thing is expected: a
// bundle is assembled in `dist/.<bundle>.partial-<pid>/` (same filesystem, so the final rename is
// atomic) and renamed to `dist/<bundle>/` only when complete. Leftovers of builds that were killed
// (their pid is gone) are removed by the next build.

import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { BundleError, describeError, isBundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import { assertWritableDir, exists, ignoresCase } from "../core/fs.ts";
import { PLATFORM_FACTS, type Platform } from "../core/platform.ts";
import { processAlive } from "../core/process.ts";
import { recipeError, type LoadedRecipe } from "../recipe/load.ts";
import { destinationClashes } from "../recipe/validate.ts";

/**
 * Where the lock for `name` in output folder `outDir` lives: in the system's temp folder, keyed by
 * both, so that a build killed with SIGKILL leaves nothing extra in dist/ (a stale lock there is
 * broken by the next build, whose holder check finds the pid gone).
 */
export function outLockPath(outDir: string, name: string): string {
  const key = createHash("sha256").update(`${resolve(outDir)}\0${name}`).digest("hex").slice(0, 32);
  return join(tmpdir(), "greenbundle-locks", `${key}.lock`);
}

/**
 * Proves, before anything is downloaded, that the output folder can be written (core/fs.ts
 * assertWritableDir): a --out that is a file, on a read-only disk or not writable is one clear
 * error, and nothing is left behind.
 */
export async function prepareOutDir(outDir: string, what = "output folder", hint = "choose another with --out DIR, or fix this one"): Promise<void> {
  await assertWritableDir(outDir, what, hint);
}

/**
 * Destinations that differ only in case are one file on a build machine whose file system
 * ignores case (NTFS, APFS) even when the target's does not (a linux-x64 bundle built on
 * Windows or macOS): said at their positions before anything is downloaded, not found as a
 * silently merged file after the build. Probed in the nearest existing folder of the output.
 */
export async function hostCaseProblems(loaded: LoadedRecipe, platform: Platform, outDir: string): Promise<BundleError | undefined> {
  if (PLATFORM_FACTS[platform].caseInsensitive) return undefined; // validation already compared them case-insensitively
  let at = resolve(outDir);
  while (dirname(at) !== at && !(await exists(at))) at = dirname(at);
  if (!(await ignoresCase(at).catch(() => false))) return undefined;
  const clashes = destinationClashes(loaded.recipe, [platform], loaded.locate, [], true);
  return clashes.length ? recipeError(loaded.file, clashes) : undefined;
}

export function partialDir(outDir: string, bundleName: string, pid = process.pid): string {
  return join(outDir, `.${bundleName}.partial-${pid}`);
}

/** The pid that owns a temporary name in dist/, or undefined when the name is not ours. */
export function ownerPid(name: string): number | undefined {
  // .<bundle>.partial-<pid>[.work] from this module, .<name>.old-<pid>-<rand> / .tmp-<pid>-<rand> from core/fs
  const m = /^\..+\.(?:partial-(\d+)(?:\..*)?|(?:old|tmp)-(\d+)-[0-9a-f]+)$/.exec(name);
  const pid = m ? Number(m[1] ?? m[2]) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Removes temporary folders and files in `outDir` whose build process is no longer running. */
export async function cleanStale(outDir: string, emit: Emit): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(outDir).catch(() => [] as string[])) {
    const pid = ownerPid(name);
    if (pid === undefined || processAlive(pid)) continue;
    await rm(join(outDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  if (removed.length) emit({ type: "info", message: `removed ${removed.length} leftover(s) of interrupted builds in ${outDir}: ${removed.join(", ")}` });
  return removed;
}

/** A raw file-system error (a full disk while placing files) is the disk's trouble, not a bug in greenbundle. */
export function diskError(e: unknown, bundle: string, outDir: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (isBundleError(e) || !code || !/^E[A-Z]+$/.test(code)) return e;
  return new BundleError("IO", `build of ${bundle} failed on a file-system error: ${describeError(e)}`, {
    hint:
      code === "ENOSPC" || code === "EDQUOT"
        ? `the disk is full: free some space (or use --out on a bigger disk than ${outDir}) and build again`
        : "check the path in the message: free space, permissions, and that nothing else changes it during the build",
    cause: e,
  });
}
