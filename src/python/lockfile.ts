// The lock file written by `bundle lock` and read by `plan`/`build --locked`. Stable and
// diff-friendly: sorted keys, one wheel per object, no timestamps.

import { readFile } from "node:fs/promises";
import { BundleError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import type { Platform } from "../core/platform.ts";

export const LOCK_VERSION = 1;

export interface LockedWheel {
  /** PEP 503 normalised name. */
  name: string;
  version: string;
  filename: string;
  sha256: string;
  size: number;
  /** Mirror list the wheel was resolved from (an index or find-links list name), or "sdist" for built wheels. */
  index: string;
  /**
   * Where the file is, relative to the project page `<base>/<name>/` of that list (as the index
   * linked it, e.g. `../../packages/ab/cd/…/x.whl`), so that any mirror of the list can serve it.
   * An absolute URL when the index linked to another host.
   */
  path: string;
  /** Requires-Dist lines of the wheel that apply to this platform (for review; the closure check used them). */
  requires?: string[];
  /** For wheels built from an sdist: the sdist's sha256 (the wheel is cached by it). */
  sdist_sha256?: string;
}

export interface LockedArtifact {
  sha256: string;
  size: number;
  /** The URL the bytes were read from when the maintainer locked them. */
  url: string;
}

export interface LockPlatform {
  wheels: LockedWheel[];
  /** Hashes pinned at lock time for recipe artifacts whose sha256 is "lock", by plan artifact id. */
  artifacts: Record<string, LockedArtifact>;
}

export interface LockFile {
  lock: typeof LOCK_VERSION;
  recipe: string;
  /** Python version the wheels were chosen for. */
  python: string;
  platforms: Partial<Record<Platform, LockPlatform>>;
}

export async function readLock(path: string): Promise<LockFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new BundleError("IO", `cannot read lock file ${path}`, { cause: e });
  }
  let data: LockFile;
  try {
    data = JSON.parse(text) as LockFile;
  } catch (e) {
    throw new BundleError("NOT_LOCKED", `lock file ${path} is not valid JSON`, { hint: "run `bundle lock <recipe>` again", cause: e });
  }
  if (data.lock !== LOCK_VERSION || typeof data.platforms !== "object") {
    throw new BundleError("NOT_LOCKED", `lock file ${path} has an unknown format (lock: ${String(data.lock)})`, { hint: "run `bundle lock <recipe>` with this version of greenbundle" });
  }
  return data;
}

/** Serialises with sorted keys and sorted wheels, so that re-locking an unchanged recipe changes nothing. */
export function serializeLock(lock: LockFile): string {
  const platforms: Record<string, unknown> = {};
  for (const p of Object.keys(lock.platforms).sort()) {
    const lp = lock.platforms[p as Platform]!;
    platforms[p] = {
      artifacts: Object.fromEntries(Object.keys(lp.artifacts).sort().map((k) => [k, sortKeys(lp.artifacts[k]!)])),
      wheels: [...lp.wheels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((w) => sortKeys(w)),
    };
  }
  return JSON.stringify({ lock: lock.lock, platforms, python: lock.python, recipe: lock.recipe }, null, 2) + "\n";
}

export async function writeLock(path: string, lock: LockFile): Promise<void> {
  await writeFileAtomic(path, serializeLock(lock));
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
