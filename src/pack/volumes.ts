// The archive's bytes on disk: one file, or volumes of a fixed size (`package.split`) that
// concatenate back into the archive (`<name>.zip.001`, `.002`, …; 7-Zip opens .001 directly).
// Written under temporary names and renamed when complete. Positions are
// logical offsets into the whole archive; local headers are rewritten in place once an entry's
// CRC and sizes are known. The sha256 of each volume is computed from finished ranges, read
// back while they are still in the page cache, so no finished byte is read from disk twice.

import { createHash, type Hash } from "node:crypto";
import { open, readdir, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Emit } from "../core/events.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";
import { DeflatePool } from "./pool.ts";

export function volumeNames(out: string, split: number | undefined, count: number): string[] {
  if (!split) return [out];
  return Array.from({ length: count }, (_, i) => `${out}.${String(i + 1).padStart(3, "0")}`);
}

interface Volume {
  final: string;
  tmp: string;
  fh: FileHandle;
}

export class VolumeWriter {
  private readonly volumes: Volume[] = [];
  private readonly out: string;
  private readonly split: number | undefined;
  private end = 0;
  private hashed = 0;

  constructor(out: string, split?: number) {
    this.out = out;
    this.split = split && split > 0 ? split : undefined;
  }

  get position(): number {
    return this.end;
  }

  private async volume(i: number): Promise<Volume> {
    while (this.volumes.length <= i) {
      const final = volumeNames(this.out, this.split, this.volumes.length + 1).at(-1)!;
      const tmp = tmpSibling(final);
      this.volumes.push({ final, tmp, fh: await open(tmp, "w+") });
    }
    return this.volumes[i]!;
  }

  /** Calls fn for each (volume, offset in volume, slice) that [pos, pos + length) touches. */
  private async each(pos: number, length: number, fn: (v: Volume, at: number, from: number, len: number) => Promise<void>): Promise<void> {
    let done = 0;
    while (done < length) {
      const p = pos + done;
      const i = this.split ? Math.floor(p / this.split) : 0;
      const at = this.split ? p - i * this.split : p;
      const len = this.split ? Math.min(length - done, this.split - at) : length - done;
      await fn(await this.volume(i), at, done, len);
      done += len;
    }
  }

  /** Bytes not yet on disk, at [pendStart, pendStart + pendLen): small entries cost one write per 8 MiB. */
  private readonly pend = Buffer.allocUnsafe(8 << 20);
  private pendStart = 0;
  private pendLen = 0;

  private async flush(): Promise<void> {
    const len = this.pendLen;
    await this.each(this.pendStart, len, async (v, at, from, n) => {
      await v.fh.write(this.pend, from, n, at);
    });
    this.pendStart += len;
    this.pendLen = 0;
  }

  private async direct(buf: Uint8Array, pos: number): Promise<void> {
    await this.each(pos, buf.length, async (v, at, from, len) => {
      await v.fh.write(buf, from, len, at);
    });
  }

  async writeAt(buf: Uint8Array, pos: number): Promise<void> {
    const pendEnd = this.pendStart + this.pendLen;
    if (pos >= this.pendStart && pos + buf.length <= pendEnd) {
      this.pend.set(buf, pos - this.pendStart);
    } else if (pos + buf.length <= this.pendStart) {
      await this.direct(buf, pos);
    } else {
      await this.flush();
      await this.direct(buf, pos);
      this.end = Math.max(this.end, pos + buf.length);
      this.pendStart = this.end;
      return;
    }
    this.end = Math.max(this.end, pos + buf.length);
  }

  async append(buf: Uint8Array): Promise<void> {
    if (this.pendStart + this.pendLen !== this.end) await this.flush();
    if (buf.length > this.pend.length - this.pendLen) await this.flush();
    if (buf.length >= this.pend.length) {
      await this.direct(buf, this.end);
      this.end += buf.length;
      this.pendStart = this.end;
      return;
    }
    if (this.pendLen === 0) this.pendStart = this.end;
    this.pend.set(buf, this.pendLen);
    this.pendLen += buf.length;
    this.end += buf.length;
  }

  /** Everything before `pos` is final: hash it, from memory or read back from the page cache. */
  async finished(pos: number): Promise<void> {
    while (this.hashed < pos) {
      if (this.hashed >= this.pendStart) {
        const from = this.hashed - this.pendStart;
        const len = pos - this.hashed;
        this.hashRange(this.pend.subarray(from, from + len), this.hashed);
        this.hashed += len;
        continue;
      }
      const len = Math.min(this.chunk.length, pos - this.hashed, this.pendStart - this.hashed);
      await this.each(this.hashed, len, async (v, at, from, n) => {
        const { bytesRead } = await v.fh.read(this.chunk, from, n, at);
        if (bytesRead !== n) throw new Error(`short read-back from ${v.tmp}`);
      });
      this.hashRange(this.chunk.subarray(0, len), this.hashed);
      this.hashed += len;
    }
  }

  private readonly chunk = Buffer.allocUnsafe(4 << 20);
  private readonly hashes: Hash[] = [];

  /** Feeds bytes at logical `pos` to the hash of the volume(s) they belong to. */
  private hashRange(b: Buffer, pos: number): void {
    let done = 0;
    while (done < b.length) {
      const p = pos + done;
      const i = this.split ? Math.floor(p / this.split) : 0;
      const len = this.split ? Math.min(b.length - done, (i + 1) * this.split - p) : b.length - done;
      while (this.hashes.length <= i) this.hashes.push(createHash("sha256"));
      this.hashes[i]!.update(b.subarray(done, done + len));
      done += len;
    }
  }

  /** Finishes: hashes the rest, syncs, renames into place, removes stale volumes. */
  async commit(): Promise<{ files: string[]; sha256: string[] }> {
    await this.flush();
    await this.finished(this.end);
    if (this.volumes.length === 0) await this.volume(0);
    for (const v of this.volumes) {
      await v.fh.sync();
      await v.fh.close();
    }
    await removeStale(this.out, this.split ? this.volumes.length : 0);
    for (const v of this.volumes) await renameRetry(v.tmp, v.final);
    return { files: this.volumes.map((v) => v.final), sha256: this.volumes.map((_, i) => (this.hashes[i] ?? createHash("sha256")).digest("hex")) };
  }

  async abort(): Promise<void> {
    for (const v of this.volumes) {
      await v.fh.close().catch(() => {});
      await rm(v.tmp, { force: true });
    }
  }
}

/** Removes `<out>` or `<out>.NNN` volumes of an earlier build that this one does not overwrite. */
async function removeStale(out: string, volumes: number): Promise<void> {
  const base = basename(out);
  const names = await readdir(dirname(out)).catch(() => [] as string[]);
  for (const n of names) {
    const m = n.startsWith(base + ".") ? /^\d{3,}$/.exec(n.slice(base.length + 1)) : null;
    if (m && Number(m[0]) > volumes) await rm(join(dirname(out), n), { force: true });
  }
  if (volumes > 0) await rm(out, { force: true });
}

/** What both packers (zip, tar.gz) are given. */
export interface PackerOptions {
  /** The bundle folder. */
  dir: string;
  /** The archive path (volumes get .001, .002, …). */
  out: string;
  /** Every entry's timestamp. */
  mtime: Date;
  /** The one top folder every entry is placed under (`<name>-<version>-<platform>`); none when absent. */
  top?: string;
  /** Volume size in bytes (package.split). */
  split?: number;
  emit?: Emit;
  signal?: AbortSignal;
  /** Compression threads (default: the machine's cores). */
  threads?: number;
}

/**
 * Runs a packer (zip, tar.gz) with a fresh VolumeWriter and DeflatePool: when `body` succeeds the
 * volumes are committed (renamed into place), when it fails they are removed, and the pool is
 * closed either way; the "pack" task's done or failed event is emitted here.
 */
export async function packVolumes(
  o: Pick<PackerOptions, "out" | "split" | "threads">,
  emit: Emit,
  body: (w: VolumeWriter, pool: DeflatePool) => Promise<void>,
): Promise<{ files: string[]; sha256: string[]; size: number }> {
  const pool = new DeflatePool({ threads: o.threads });
  const w = new VolumeWriter(o.out, o.split);
  try {
    await body(w, pool);
    const size = w.position;
    const r = await w.commit();
    emit({ type: "task:done", id: "pack", detail: `${r.files.join(", ")} (${size} bytes)` });
    return { ...r, size };
  } catch (e) {
    await w.abort();
    emit({ type: "task:failed", id: "pack", reason: e instanceof Error ? e.message : String(e) });
    throw e;
  } finally {
    await pool.close();
  }
}
