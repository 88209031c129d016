// The content-addressed store (in the style of npm's cacache and pnpm's store): blobs named by their sha256, a key
// index beside them, a tmp area on the same filesystem. A blob appears only by rename after its
// bytes were hashed and matched; blobs are read-only (0444) so that hardlinked copies in bundles
// cannot be edited in place by accident.

import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, readFile, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { BundleError } from "../core/errors.ts";
import { renameRetry, whyUnwritable } from "../core/fs.ts";
import { writeSmallFile } from "./small-file.ts";
import { hashFile, integrityProblem, MeterStream, type Actual } from "../integrity/sha256.ts";
import { acquireLock, type HeldLock, type LockOptions } from "./lock.ts";
import { blobMetaRel, blobRel, keyRel, lockRel, partialRel, segmentsRel, TMP_DIR } from "./layout.ts";

/** What the index knows about a blob. The record file's mtime is the blob's last use. */
export interface BlobRecord {
  sha256: string;
  size: number;
  /** The URL its bytes came from, when downloaded. */
  url?: string;
  /** The digest it was made from (a wheel built from an sdist): kept by gc as long as that one is. */
  from?: string;
  /** When it entered the cache (ms since epoch). */
  added: number;
  /**
   * The blob file's mtime when its bytes were last known good (hashed on the way in, or re-hashed).
   * A blob whose size or mtime no longer match was written to since (a hardlinked bundle copy
   * edited in place, a tool that ignored the read-only bit) and is re-hashed before any use.
   */
  mtimeMs?: number;
}

/** What `check` found: a usable blob, or none (and why, when a changed blob was evicted). */
export type BlobCheck = { ok: true; size: number; meta: BlobRecord | undefined } | { ok: false; evicted?: string };

export interface KeyRecord {
  key: string;
  sha256: string;
}

export interface StoreMeta {
  key?: string | undefined;
  url?: string | undefined;
  from?: string | undefined;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Why a cache folder cannot be used, in words, with what to do. */
export async function cacheDirError(dir: string, e: unknown): Promise<BundleError> {
  const code = errno(e);
  const why = await whyUnwritable(dir, e);
  return new BundleError("CACHE", `cannot use the cache folder ${dir}: ${why}`, {
    hint: code === "ENOSPC" ? "free some space, or point --cache (or BUNDLE_CACHE_DIR) at a bigger disk" : "point --cache (or BUNDLE_CACHE_DIR) at a writable folder, or fix this one",
    cause: e,
  });
}

export class Cache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  blobPath(sha256: string): string {
    return join(this.dir, blobRel(sha256));
  }
  partialPath(sha256: string): string {
    return join(this.dir, partialRel(sha256));
  }
  segmentsPath(sha256: string): string {
    return join(this.dir, segmentsRel(sha256));
  }
  private metaPath(sha256: string): string {
    return join(this.dir, blobMetaRel(sha256));
  }

  private prepared: Promise<void> | undefined;

  /**
   * Makes sure the cache folder can be written (once per instance): a cache that is a file, on a
   * read-only disk or not writable is one clear error up front, not one raw errno per download.
   */
  prepare(): Promise<void> {
    this.prepared ??= mkdir(join(this.dir, TMP_DIR), { recursive: true }).then(
      () => undefined,
      async (e: unknown) => {
        throw await cacheDirError(this.dir, e);
      },
    );
    return this.prepared;
  }

  /** A fresh temporary path inside the cache (same filesystem as the blobs). */
  async tmpFile(tag = "tmp"): Promise<string> {
    const dir = join(this.dir, TMP_DIR);
    await mkdir(dir, { recursive: true });
    return join(dir, `${tag}-${process.pid}-${randomBytes(6).toString("hex")}`);
  }

  /** Size of the blob, or undefined when it is not in the cache. */
  async blobSize(sha256: string): Promise<number | undefined> {
    try {
      const s = await stat(this.blobPath(sha256));
      return s.isFile() ? s.size : undefined;
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
      throw new BundleError("CACHE", `cannot read the cache at ${this.dir}`, { cause: e });
    }
  }

  /** Whether the blob is present and intact (with this size, when given). A hit counts as a use. */
  async has(sha256: string, size?: number): Promise<boolean> {
    return (await this.check(sha256, size)).ok;
  }

  /**
   * The blob, if present and unchanged since it was known good: size and mtime as recorded cost
   * one stat and the record read the caller needs anyway. Otherwise it is re-hashed once: kept
   * and re-stamped when the bytes still match its name, evicted when not — so that no stage ever
   * uses changed bytes under a digest they do not have. A hit counts as a use.
   */
  async check(sha256: string, size?: number): Promise<BlobCheck> {
    let s;
    try {
      s = await stat(this.blobPath(sha256));
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return { ok: false };
      throw new BundleError("CACHE", `cannot read the cache at ${this.dir}`, { cause: e });
    }
    if (!s.isFile()) return { ok: false };
    let meta = await this.meta(sha256);
    if (meta?.size === s.size && meta.mtimeMs === s.mtimeMs) await this.touch(sha256, s.size);
    else {
      const actual = await hashFile(this.blobPath(sha256));
      const problem = integrityProblem({ sha256, size: meta?.size }, actual);
      if (problem) {
        // A read-only cache cannot evict: the blob is still never used.
        const gone = await this.remove(sha256).then(() => "it was evicted", (e: unknown) => `it could not be evicted (${errno(e) ?? String(e)})`);
        return { ok: false, evicted: `${this.blobPath(sha256)} changed on disk since it was stored (${problem}); ${gone}` };
      }
      meta = { ...(meta ?? { added: Date.now() }), sha256, size: s.size, mtimeMs: s.mtimeMs };
      await this.writeMeta(meta).catch(() => {});
    }
    if (size !== undefined && s.size !== size) return { ok: false };
    return { ok: true, size: s.size, meta };
  }

  async meta(sha256: string): Promise<BlobRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.metaPath(sha256), "utf8")) as BlobRecord;
    } catch {
      return undefined;
    }
  }

  /** Marks the blob as used now (its record's mtime): one utimes, so that gc --older-than is cheap. */
  async touch(sha256: string, size?: number): Promise<void> {
    const now = new Date();
    try {
      await utimes(this.metaPath(sha256), now, now);
    } catch (e) {
      if (errno(e) !== "ENOENT") return;
      const s = size ?? (await this.blobSize(sha256));
      if (s !== undefined) await this.writeMeta({ sha256, size: s, added: Date.now() }).catch(() => {});
    }
  }

  private async writeMeta(rec: BlobRecord): Promise<void> {
    await writeSmallFile(this.metaPath(rec.sha256), JSON.stringify(rec) + "\n");
  }

  /**
   * Moves a verified file into the store. The caller has hashed it (`actual`); this only renames.
   * On POSIX a rename onto an existing blob swaps in identical, equally verified bytes, so there is
   * nothing to look up first (fewer file-system calls per file matter when fetching hundreds of
   * wheels). Windows refuses to rename onto a read-only file: then the existing blob is kept.
   */
  async commit(file: string, actual: Actual, meta: StoreMeta = {}): Promise<string> {
    const dest = this.blobPath(actual.sha256);
    await chmod(file, 0o444);
    // The mtime the verified bytes carry (a rename keeps it): the stamp `check` compares.
    const { mtimeMs } = await stat(file);
    try {
      await this.renameInto(file, dest);
    } catch (e) {
      if ((await this.blobSize(actual.sha256)) !== actual.size) throw new BundleError("CACHE", `cannot store ${dest}`, { cause: e });
      await unlink(file).catch(() => {});
    }
    // The first record wins: it says where the bytes first came from and when.
    const rec: BlobRecord = { sha256: actual.sha256, size: actual.size, ...(meta.url ? { url: meta.url } : {}), ...(meta.from ? { from: meta.from } : {}), added: Date.now(), mtimeMs };
    await this.createFile(this.metaPath(actual.sha256), JSON.stringify(rec) + "\n");
    if (meta.key) await this.record(meta.key, actual.sha256);
    return dest;
  }

  private readonly made = new Set<string>();

  /** mkdir -p, once per folder and process. */
  async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  private async renameInto(file: string, dest: string): Promise<void> {
    try {
      await renameRetry(file, dest);
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
      await this.ensureDir(dirname(dest));
      await renameRetry(file, dest);
    }
  }

  /** Writes a small file unless it exists (O_EXCL). */
  private async createFile(path: string, data: string): Promise<void> {
    try {
      await writeFile(path, data, { flag: "wx" });
    } catch (e) {
      if (errno(e) === "EEXIST") return;
      if (errno(e) !== "ENOENT") throw e;
      await this.ensureDir(dirname(path));
      await writeFile(path, data, { flag: "wx" }).catch((e2: unknown) => {
        if (errno(e2) !== "EEXIST") throw e2;
      });
    }
  }

  /**
   * Stores a file another stage produced (a wheel built from an sdist) by its hash. The file is
   * copied (hashed while copying), so the caller keeps its own.
   */
  async importFile(path: string, meta: StoreMeta = {}): Promise<{ sha256: string; size: number; path: string }> {
    const tmp = await this.tmpFile("import");
    const meter = new MeterStream();
    try {
      await pipeline(createReadStream(path), meter, createWriteStream(tmp));
      const actual = { sha256: meter.digest(), size: meter.bytes };
      const dest = await this.commit(tmp, actual, meta);
      return { ...actual, path: dest };
    } catch (e) {
      await rm(tmp, { force: true });
      if (e instanceof BundleError) throw e;
      throw new BundleError("IO", `cannot import ${path} into the cache at ${this.dir}`, { cause: e });
    }
  }

  /** The digest recorded for `key`, if its blob is still in the cache. */
  async lookup(key: string): Promise<string | undefined> {
    try {
      const rec = JSON.parse(await readFile(join(this.dir, keyRel(key)), "utf8")) as KeyRecord;
      if (rec.key !== key) return undefined; // a hash collision on the file name: never trust it
      return (await this.check(rec.sha256)).ok ? rec.sha256 : undefined;
    } catch {
      return undefined;
    }
  }

  async record(key: string, sha256: string): Promise<void> {
    const rec: KeyRecord = { key, sha256: sha256.toLowerCase() };
    await writeSmallFile(join(this.dir, keyRel(key)), JSON.stringify(rec) + "\n");
  }

  /** Takes the per-digest lock (see lock.ts). */
  async lock(sha256: string, opts: LockOptions = {}): Promise<HeldLock | "done"> {
    return acquireLock(join(this.dir, lockRel(sha256)), opts);
  }

  /** Removes a blob and its record (keys pointing at it simply stop resolving). */
  async remove(sha256: string): Promise<void> {
    const p = this.blobPath(sha256);
    await chmod(p, 0o644).catch(() => {}); // Windows refuses to delete read-only files
    await rm(p, { force: true });
    await rm(this.metaPath(sha256), { force: true });
  }

  /** Drops a partial download and its segment state. */
  async dropPartial(sha256: string): Promise<void> {
    await rm(this.partialPath(sha256), { force: true });
    await rm(this.segmentsPath(sha256), { force: true });
  }
}
