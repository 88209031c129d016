// The lock file written by `bundle lock` and read by `plan`/`build --locked`. Stable and
// diff-friendly: sorted keys, one wheel per object, no timestamps.

import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { BundleError, type SourcePos } from "../core/errors.ts";
import { whyUnwritable, writeFileAtomic } from "../core/fs.ts";
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
  /** A find-links list that also lists the file (bytes from there, tried first), and where: relative to `<folder>/<name>/` of that list. */
  find_links?: string;
  find_links_path?: string;
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

// The shape a lock must have before anything trusts it: a hand-edited or damaged lock is an
// error that names the key, never a crash deeper down (plan, install) on a missing field.
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256: 64 lowercase hex digits");
const Size = z.number().int().nonnegative();
const PlainName = z.string().regex(/^(?!\.\.?$)[^/\\\0]+$/, "expected a plain file name (no folders)");
const LockShape = z.object({
  lock: z.literal(LOCK_VERSION),
  recipe: z.string(),
  python: z.string(),
  platforms: z.record(
    z.string(),
    z.object({
      wheels: z.array(
        z.object({
          name: z.string().min(1),
          version: z.string().min(1),
          filename: PlainName,
          sha256: Hex64,
          size: Size,
          index: z.string(),
          path: z.string().min(1),
          requires: z.array(z.string()).optional(),
          sdist_sha256: Hex64.optional(),
          find_links: z.string().optional(),
          find_links_path: z.string().min(1).optional(),
        }),
      ),
      artifacts: z.record(z.string(), z.object({ sha256: Hex64, size: Size, url: z.string() })),
    }),
  ),
});

/**
 * Reads and checks a lock file; undefined when it does not exist. `where` is the recipe's
 * `wheels.lock` position: a lock path that names a folder is then a recipe error (exit 2).
 */
export async function readLock(path: string, where?: SourcePos): Promise<LockFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if ((code === "EISDIR" || code === "ENOTDIR") && where) {
      throw new BundleError("RECIPE", `wheels.lock names ${path}, which is not a file`, {
        diagnostics: [{ ...where, path: "wheels.lock", message: `${path} is ${code === "EISDIR" ? "a folder" : "under a file"}, not a lock file`, hint: "name a .json file next to the recipe, e.g. wheels.lock: <name>.lock.json" }],
        cause: e,
      });
    }
    throw new BundleError("IO", `cannot read lock file ${path}: ${code === "EISDIR" ? "it is a folder" : (code ?? String(e))}`, { hint: "check the path and its permissions", cause: e });
  }
  const again = "run `bundle lock <recipe>` again (it rewrites the lock), or restore the file from version control";
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new BundleError("NOT_LOCKED", `lock file ${path} is not valid JSON (${(e as Error).message})`, { hint: again, cause: e });
  }
  const version = (data as { lock?: unknown } | null)?.lock;
  if (version !== LOCK_VERSION) {
    throw new BundleError("NOT_LOCKED", `lock file ${path} has an unknown format (lock: ${JSON.stringify(version) ?? "missing"}; this greenbundle reads ${LOCK_VERSION})`, {
      hint: "run `bundle lock <recipe>` with this version of greenbundle",
    });
  }
  const checked = LockShape.safeParse(data);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const at = issue.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("").replace(/^\./, "");
    const more = checked.error.issues.length > 1 ? ` (and ${checked.error.issues.length - 1} more problem(s))` : "";
    throw new BundleError("NOT_LOCKED", `lock file ${path} is damaged: ${at || "(top)"}: ${/received undefined$/.test(issue.message) ? "missing" : issue.message}${more}`, { hint: again });
  }
  return data as LockFile;
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
  try {
    await writeFileAtomic(path, serializeLock(lock));
  } catch (e) {
    throw new BundleError("IO", `cannot write the lock file ${path}: ${await whyUnwritable(dirname(path), e)}`, {
      hint: "make the recipe's folder writable, or point wheels.lock at a writable place; what was downloaded stays in the cache",
      cause: e,
    });
  }
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
