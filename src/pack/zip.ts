// The reproducible zip writer. Entries in code-unit order, fixed
// timestamps, explicit modes, ZIP64 where needed, stored or deflated per policy.ts, deflated in
// parallel by pool.ts ahead of the writer, with CRCs from zlib.crc32 combined per piece. Each
// local header is written first and rewritten with its CRC and sizes once the data is out, so
// no data descriptors are needed and every reader sees the sizes up front.

import { open } from "node:fs/promises";
import { crc32 } from "node:zlib";
import { BundleError } from "../core/errors.ts";
import { silent } from "../core/events.ts";
import { crc32Combine } from "./crc32.ts";
import { judgeSample, methodByName, sampleRange, type Method, type PolicyOptions } from "./policy.ts";
import { DeflatePool, type Piece, type PieceResult } from "./pool.ts";
import type { Packer } from "./packer.ts";
import { packVolumes, type PackerOptions, type VolumeWriter } from "./volumes.ts";
import { underTop, walkBundle, type PackEntry } from "./walk.ts";
import { openZipArchive } from "./zip-read.ts";
import { centralHeader, endRecords, localHeader, METHOD_DEFLATE, METHOD_STORE, ZIP64_LOCAL_THRESHOLD, type EntryHeader } from "./zip-format.ts";

/** Pieces of this size are deflated independently; small files are batched up to it. */
const PIECE = 1 << 20;

export interface ZipOptions extends PolicyOptions, PackerOptions {}

interface Job {
  entry: PackEntry;
  method: Method;
  pieces: { length: number; result: Promise<PieceResult> }[];
}

async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, offset);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Decides each entry's method and hands deflate work to the pool, a bounded distance ahead of the writer. */
class Scheduler {
  readonly jobs: Job[] = [];
  private batch: { piece: Piece; resolve: (r: PieceResult) => void; reject: (e: Error) => void }[] = [];
  private batchBytes = 0;
  inFlight = 0;
  private readonly entries: PackEntry[];
  private readonly pool: DeflatePool;
  private readonly o: ZipOptions;
  private readonly budget: number;
  readonly signal: AbortSignal | undefined;

  constructor(entries: PackEntry[], pool: DeflatePool, o: ZipOptions) {
    this.signal = o.signal;
    this.entries = entries;
    this.pool = pool;
    this.o = o;
    this.budget = 16 * PIECE * pool.threads;
  }

  private piece(piece: Piece, length: number): Promise<PieceResult> {
    const p = new Promise<PieceResult>((resolve, reject) => this.batch.push({ piece, resolve, reject }));
    p.catch(() => {}); // awaited by the writer; after a failure or abort, pieces ahead are dropped
    this.batchBytes += length;
    this.inFlight += length;
    if (this.batchBytes >= PIECE || this.batch.length >= 256) this.dispatch();
    return p;
  }

  private dispatch(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.batchBytes = 0;
    this.pool.run(batch.map((b) => b.piece)).then(
      (rs) => rs.forEach((r, i) => batch[i]!.resolve(r)),
      (e: Error) => batch.forEach((b) => b.reject(e)),
    );
  }

  private async method(e: PackEntry): Promise<Method> {
    if (e.kind !== "file") return "store";
    const m = methodByName(e.name, e.size, this.o);
    if (m !== "sample") return m;
    const r = sampleRange(e.size);
    return judgeSample(await readRange(e.source, r.offset, r.length));
  }

  /** Schedules entries until `index` is scheduled and the budget of bytes in flight is used. */
  async fill(index: number): Promise<void> {
    while (this.jobs.length < this.entries.length && (this.jobs.length <= index || this.inFlight < this.budget)) {
      const entry = this.entries[this.jobs.length]!;
      const method = await this.method(entry);
      const pieces: Job["pieces"] = [];
      if (method === "deflate") {
        for (let off = 0; off < entry.size; off += PIECE) {
          const length = Math.min(PIECE, entry.size - off);
          pieces.push({ length, result: this.piece({ path: entry.source, offset: off, length, final: off + length >= entry.size }, length) });
        }
      }
      this.jobs.push({ entry, method, pieces });
    }
    this.dispatch();
  }
}

interface Written {
  method: number;
  crc: number;
  compressedSize: number;
}

async function writeStored(w: VolumeWriter, e: PackEntry, s: Scheduler, index: number): Promise<Written> {
  if (e.kind === "dir") return { method: METHOD_STORE, crc: 0, compressedSize: 0 };
  if (e.kind === "symlink") {
    const data = Buffer.from(e.target!, "utf8");
    await w.append(data);
    return { method: METHOD_STORE, crc: crc32(data), compressedSize: data.length };
  }
  const fh = await open(e.source, "r");
  // Two buffers: the next read is in flight while this chunk is hashed and written.
  const bufs = [Buffer.allocUnsafe(4 << 20), Buffer.allocUnsafe(4 << 20)];
  const readChunk = (k: number, at: number) => fh.read(bufs[k % 2]!, 0, Math.min(bufs[0]!.length, e.size - at), at);
  try {
    let crc = 0;
    let done = 0;
    let next = readChunk(0, 0);
    for (let k = 0; done < e.size; k++) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) throw new BundleError("ARCHIVE", `${e.source} became shorter while it was being packed`, { hint: "do not change the bundle folder while packing" });
      if (done + bytesRead < e.size) next = readChunk(k + 1, done + bytesRead);
      const chunk = buffer.subarray(0, bytesRead);
      crc = crc32(chunk, crc);
      await w.append(chunk);
      done += bytesRead;
      s.signal?.throwIfAborted();
      await s.fill(index); // keep the compression threads busy meanwhile
    }
    return { method: METHOD_STORE, crc, compressedSize: e.size };
  } finally {
    await fh.close();
  }
}

async function writeDeflated(w: VolumeWriter, job: Job, s: Scheduler, index: number): Promise<Written> {
  let crc = 0;
  let compressedSize = 0;
  let method = METHOD_DEFLATE;
  for (const [i, p] of job.pieces.entries()) {
    const r = await p.result;
    s.inFlight -= p.length;
    await s.fill(index);
    if (r.stored) method = METHOD_STORE; // a whole small file that deflate did not shrink
    crc = i === 0 ? r.crc : crc32Combine(crc, r.crc, p.length);
    compressedSize += r.data.length;
    await w.append(r.data);
  }
  return { method, crc, compressedSize };
}

async function writeEntry(w: VolumeWriter, s: Scheduler, index: number, mtime: Date): Promise<Buffer> {
  await s.fill(index);
  const job = s.jobs[index]!;
  const e = job.entry;
  const offset = w.position;
  const head: EntryHeader = { name: e.name, method: job.method === "deflate" ? METHOD_DEFLATE : METHOD_STORE, mode: e.mode, mtime, crc: 0, compressedSize: 0, size: e.size, offset, zip64Local: e.size >= ZIP64_LOCAL_THRESHOLD };
  const placeholder = localHeader(head);
  await w.append(placeholder);
  const r = job.method === "deflate" ? await writeDeflated(w, job, s, index) : await writeStored(w, e, s, index);
  const final = { ...head, ...r };
  if (!final.zip64Local && final.compressedSize >= 0xffffffff) {
    throw new BundleError("ARCHIVE", `${e.source} deflated to over 4 GiB without a ZIP64 local header`, { hint: "this is a bug in greenbundle: please report it" });
  }
  await w.writeAt(localHeader(final), offset);
  await w.finished(w.position);
  return centralHeader(final);
}

/** Writes the zip of `dir`; returns the files written (one, or the volumes) and their sha256. */
export async function writeZip(o: ZipOptions): Promise<{ files: string[]; sha256: string[]; size: number }> {
  const emit = o.emit ?? silent;
  const entries = underTop(await walkBundle(o.dir), o.top, o.dir);
  const total = entries.reduce((n, e) => n + e.size, 0);
  emit({ type: "task:start", id: "pack", title: `zip ${entries.length} entries`, total });
  return packVolumes(o, emit, async (w, pool) => {
    const s = new Scheduler(entries, pool, o);
    const central: Buffer[] = [];
    let done = 0;
    for (let i = 0; i < entries.length; i++) {
      o.signal?.throwIfAborted();
      central.push(await writeEntry(w, s, i, o.mtime));
      done += entries[i]!.size;
      if (i % 500 === 0 || entries[i]!.size > PIECE) emit({ type: "task:progress", id: "pack", done, total, detail: entries[i]!.name });
    }
    const cdOffset = w.position;
    for (const c of central) await w.append(c);
    await w.append(endRecords(entries.length, cdOffset, w.position - cdOffset));
  });
}

export const zipPacker: Packer<"zip"> = {
  format: "zip",
  extensions: [".zip"],
  sniff: (head) => head.length >= 4 && head.readUInt32LE(0) === 0x04034b50,
  integrity: "entry CRCs are checked while unpacking",
  write: writeZip,
  open: openZipArchive,
};
