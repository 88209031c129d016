// The reproducible .tar.gz. node-tar
// writes the entries walk.ts lists, in that order, in portable form (no uid/gid/uname, no atime or
// ctime), with the fixed mtime and explicit modes, and never as hard links (whether two files
// share an inode is an accident of how the folder was made, e.g. linked from the cache). The gzip stream is deflated in
// parallel pieces by pool.ts and framed by hand (RFC 1952) with a fixed header: mtime 0, OS 255.

import { lstat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { resolve } from "node:path";
import { BundleError } from "../core/errors.ts";
import { silent } from "../core/events.ts";
import { DeflatePool, WINDOW, type PieceResult } from "./pool.ts";
import type { Packer } from "./packer.ts";
import { openTarGzArchive } from "./targz-read.ts";
import { packVolumes, type PackerOptions, type VolumeWriter } from "./volumes.ts";
import { S_IFDIR, walkBundle, type PackEntry } from "./walk.ts";
import { crc32Combine } from "./crc32.ts";

const BLOCK = 1 << 20;

export type TarGzOptions = PackerOptions;

/** RFC 1952 member header: deflate, no flags, MTIME 0, XFL 0, OS 255 (unknown). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/** Turns a byte stream into gzip pieces deflated in parallel, written in order. */
class ParallelGzip {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private prevTail: Uint8Array = new Uint8Array(0);
  private readonly queue: { length: number; result: Promise<PieceResult> }[] = [];
  private crc = 0;
  private size = 0;
  private readonly pool: DeflatePool;
  private readonly w: VolumeWriter;

  constructor(pool: DeflatePool, w: VolumeWriter) {
    this.pool = pool;
    this.w = w;
  }

  async start(): Promise<void> {
    await this.w.append(GZIP_HEADER);
  }

  /** Takes `n` bytes from the front of the pending chunks into a buffer of its own (it is transferred). */
  private take(n: number): Uint8Array {
    const data = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.pending[i]!;
      const k = Math.min(c.length, n - at);
      data.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) i++;
      else this.pending[i] = c.subarray(k);
    }
    this.pending = this.pending.slice(i); // node-tar emits thousands of 512-byte chunks: no shift()
    this.pendingLen -= n;
    return data;
  }

  private send(final: boolean, n: number): void {
    const data = this.take(n);
    const dict = this.prevTail;
    this.prevTail = data.slice(Math.max(0, data.length - WINDOW));
    const length = data.length; // read before the transfer detaches `data`
    const result = this.pool.run([{ data, dict, final }]).then((r) => r[0]!);
    result.catch(() => {}); // awaited in drain(); after a failure or abort the rest is dropped
    this.queue.push({ length, result });
  }

  /** Writes finished pieces, keeping at most `keep` in flight. */
  private async drain(keep: number): Promise<void> {
    while (this.queue.length > keep) {
      const p = this.queue.shift()!;
      const r = await p.result;
      this.crc = this.size === 0 ? r.crc : crc32Combine(this.crc, r.crc, p.length);
      this.size += p.length;
      await this.w.append(r.data);
    }
  }

  async push(chunk: Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    // One block is always held back, so that the last one can be sent as the final one.
    while (this.pendingLen >= 2 * BLOCK) {
      this.send(false, BLOCK);
      await this.drain(4 * this.pool.threads);
    }
  }

  async end(): Promise<void> {
    this.send(true, this.pendingLen);
    await this.drain(0);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size % 2 ** 32, 4);
    await this.w.append(trailer);
  }
}

type WriteEntryLike = { noMtime?: boolean };

interface TarPack extends AsyncIterable<Buffer> {
  on(event: "warn", f: (code: string, message: string) => void): unknown;
}

/**
 * node-tar asks its statCache before it calls lstat, so the stats handed in there decide the
 * header: the explicit mode, and a link count of 1 so that it never writes a hard link.
 */
async function statCache(dir: string, entries: PackEntry[]): Promise<Map<string, Stats>> {
  const cache = new Map<string, Stats>();
  const rootSt = await lstat(dir);
  cache.set(resolve(dir), Object.assign(Object.create(Object.getPrototypeOf(rootSt) as object) as Stats, rootSt, { mode: S_IFDIR | 0o755, nlink: 1 }));
  for (const e of entries) {
    const st = await lstat(e.source);
    const fixed = Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, { mode: e.mode, nlink: 1 });
    cache.set(resolve(dir, e.name.replace(/\/$/, "")), fixed);
  }
  return cache;
}

async function packStream(dir: string, entries: PackEntry[], mtime: Date, top: string | undefined): Promise<TarPack> {
  const { Pack } = await import("tar");
  const pack = new Pack({
    cwd: dir,
    ...(top !== undefined ? { prefix: top } : {}),
    portable: true,
    mtime,
    noDirRecurse: true,
    statCache: await statCache(dir, entries),
    onWriteEntry: (e: WriteEntryLike) => {
      e.noMtime = false; // portable mode drops folder mtimes; keep the fixed one
    },
  } as unknown as ConstructorParameters<typeof Pack>[0]);
  if (top !== undefined) pack.add("."); // the top folder's own entry, `top/`
  for (const e of entries) pack.add(e.name.replace(/\/$/, ""));
  pack.end();
  return pack as unknown as TarPack;
}

export async function writeTarGz(o: TarGzOptions): Promise<{ files: string[]; sha256: string[]; size: number }> {
  const emit = o.emit ?? silent;
  const entries = await walkBundle(o.dir);
  const total = entries.reduce((n, e) => n + e.size, 0);
  emit({ type: "task:start", id: "pack", title: `tar.gz ${entries.length} entries`, total });
  return packVolumes(o, emit, async (w, pool) => {
    const gz = new ParallelGzip(pool, w);
    await gz.start();
    let done = 0;
    const warnings: string[] = [];
    const stream = await packStream(o.dir, entries, o.mtime, o.top);
    stream.on("warn", (code, message) => warnings.push(`${code}: ${message}`));
    for await (const chunk of stream) {
      o.signal?.throwIfAborted();
      await gz.push(chunk);
      done += chunk.length;
      emit({ type: "task:progress", id: "pack", done: Math.min(done, total), total });
    }
    if (warnings.length > 0) throw new BundleError("ARCHIVE", `tar reported problems while packing ${o.dir}: ${warnings.join("; ")}`);
    await gz.end();
  });
}

export const tarGzPacker: Packer<"tar.gz"> = {
  format: "tar.gz",
  extensions: [".tar.gz", ".tgz"],
  sniff: (head) => head[0] === 0x1f && head[1] === 0x8b,
  integrity: "the gzip CRC is checked while unpacking",
  write: writeTarGz,
  open: openTarGzArchive,
};
