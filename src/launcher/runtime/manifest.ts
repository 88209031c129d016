// The file manifest check. Every start does the quick check (each
// file exists, big files have their size) while the app starts; `--check` hashes every file.
// Missing files mean a partial unzip or an antivirus quarantine; the caller says so and lists them.

import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface CheckResult {
  checked: number;
  missing: string[];
  changed: string[];
}

/** A glob of bundle.json's verify.allow_changes (`*`, `?`, `**`) as a RegExp over '/'-paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      re += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** A predicate for files the app is allowed to change (they are not reported as changed). */
export function allowedChanges(globs: readonly string[]): (path: string) => boolean {
  const res = globs.map(globToRegExp);
  return (p) => res.some((r) => r.test(p));
}

/**
 * Runs `fn` over `items` with at most `limit` in flight. The launcher keeps this and sha256File
 * below as its own few lines instead of the builder's core/pool.ts and integrity/sha256.ts: it is a
 * separate program, bundled from the sources the npm package ships for it, which load nothing
 * beyond the runtime folder but the bundle.json contract.
 */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sortResult(r: CheckResult): CheckResult {
  r.missing.sort();
  r.changed.sort();
  return r;
}

/** Files at least this big also get their size checked on every start (truncation by a partial unzip). */
const QUICK_STAT_MIN = 1 << 20;

/**
 * Existence of every file, and the size of the big ones, cheap enough for every start: one
 * directory listing per folder instead of one stat per file (50,000 files: ~0.1 s instead of
 * ~0.9 s here). Synchronous in slices, yielding between them, because it runs while the app
 * starts and the app's output must keep flowing.
 */
export async function quickCheck(root: string, files: readonly ManifestFile[], allowed: (p: string) => boolean): Promise<CheckResult> {
  const r: CheckResult = { checked: files.length, missing: [], changed: [] };
  const listings = new Map<string, Set<string> | null>();
  let sinceYield = 0;
  for (const f of files) {
    if (++sinceYield >= 2000) {
      sinceYield = 0;
      await new Promise((res) => setImmediate(res));
    }
    const slash = f.path.lastIndexOf("/");
    const dir = slash < 0 ? "" : f.path.slice(0, slash);
    let names = listings.get(dir);
    if (names === undefined) {
      try {
        names = new Set(readdirSync(join(root, dir)));
      } catch {
        names = null;
      }
      listings.set(dir, names);
    }
    if (!names?.has(f.path.slice(slash + 1))) {
      if (!allowed(f.path)) r.missing.push(f.path);
    } else if (f.size >= QUICK_STAT_MIN && !allowed(f.path) && statSync(join(root, f.path), { throwIfNoEntry: false })?.size !== f.size) {
      r.changed.push(f.path);
    }
  }
  return sortResult(r);
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on("data", (b) => h.update(b))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

/** Size and sha256 of every file (`--check`). `onProgress` gets the number of files done. */
export async function fullCheck(
  root: string,
  files: readonly ManifestFile[],
  allowed: (p: string) => boolean,
  onProgress: (done: number) => void = () => {},
): Promise<CheckResult> {
  const r: CheckResult = { checked: files.length, missing: [], changed: [] };
  let done = 0;
  await pool(files, 4, async (f) => {
    const path = join(root, f.path);
    try {
      const st = await stat(path);
      if (!allowed(f.path) && (st.size !== f.size || (await sha256File(path)) !== f.sha256)) r.changed.push(f.path);
    } catch {
      if (!allowed(f.path)) r.missing.push(f.path);
    }
    onProgress(++done);
  });
  return sortResult(r);
}
