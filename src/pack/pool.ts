// Parallel raw deflate in worker threads, in independent pieces that concatenate into one valid
// deflate stream (the pigz idea): each piece but the last ends with a sync flush (byte-aligned,
// no final block), and is primed with the 32 KiB before it as dictionary, so the result is as
// small as one long stream within a fraction of a percent. Workers read files themselves and
// return the CRC-32 of each piece with the compressed bytes (crc32.ts combines them). A piece
// that a small sample shows to be noise is stored inside the deflate stream instead.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** A piece of a file, or of a buffer (tar stream), to deflate. */
export type Piece =
  | { path: string; offset: number; length: number; final: boolean }
  | { data: Uint8Array; dict?: Uint8Array; final: boolean };

export interface PieceResult {
  crc: number;
  /** The deflated bytes, or the raw bytes when `stored` (a whole small file that did not shrink). */
  data: Uint8Array;
  stored: boolean;
}

/** The deflate window: a piece is primed with this many bytes before it. */
export const WINDOW = 32 * 1024;

/**
 * The worker's code. It runs as an eval'd script (function source, no imports), which works the
 * same under plain Node, vitest and an installed package; `require` is the worker's own.
 */
function workerMain(): void {
  const { parentPort } = require("node:worker_threads") as typeof import("node:worker_threads");
  const fs = require("node:fs") as typeof import("node:fs");
  const zlib = require("node:zlib") as typeof import("node:zlib");
  const readAt = (path: string, offset: number, length: number): Buffer => {
    const fd = fs.openSync(path, "r");
    try {
      const b = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = fs.readSync(fd, b, got, length - got, offset + got);
        if (n === 0) throw new Error(`${path} is shorter than expected (changed while packing?)`);
        got += n;
      }
      return b;
    } finally {
      fs.closeSync(fd);
    }
  };
  type P = { path?: string; offset?: number; length?: number; data?: Uint8Array; dict?: Uint8Array; final: boolean };
  // Incompressible pieces are written as deflate's stored blocks (level 0): the stream stays one
  // valid deflate stream, and noise costs 5 bytes per 64 KiB instead of seconds per MiB.
  const levelFor = (data: Buffer, level: number): number => {
    if (data.length < 4096) return level;
    const sample = data.subarray(0, Math.min(16384, data.length));
    return zlib.deflateRawSync(sample, { level: 1 }).length > sample.length * 0.97 ? 0 : level;
  };
  parentPort!.on("message", (m: { id: number; level: number; window: number; pieces: P[] }) => {
    try {
      const out = m.pieces.map((p) => {
        let data: Buffer, dict: Buffer | undefined;
        if (p.path !== undefined) {
          const before = Math.min(m.window, p.offset!);
          const all = readAt(p.path, p.offset! - before, p.length! + before);
          dict = before > 0 ? all.subarray(0, before) : undefined;
          data = all.subarray(before);
        } else {
          data = Buffer.from(p.data!.buffer, p.data!.byteOffset, p.data!.byteLength);
          dict = p.dict && p.dict.byteLength > 0 ? Buffer.from(p.dict.buffer, p.dict.byteOffset, p.dict.byteLength) : undefined;
        }
        const crc = zlib.crc32(data);
        const flush = p.final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH;
        const z = zlib.deflateRawSync(data, { level: levelFor(data, m.level), finishFlush: flush, ...(dict ? { dictionary: dict } : {}) });
        // A whole file (first and last piece) that deflate does not shrink is stored instead.
        const whole = p.final && (p.path === undefined ? !p.dict : p.offset === 0);
        const stored = whole && p.path !== undefined && z.length >= data.length;
        return { crc, data: new Uint8Array(stored ? data : z), stored };
      });
      parentPort!.postMessage({ id: m.id, out }, out.map((o) => o.data.buffer as ArrayBuffer));
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
}

interface Pending {
  resolve: (r: PieceResult[]) => void;
  reject: (e: Error) => void;
}

export class DeflatePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly level: number;

  constructor(opts: { threads?: number; level?: number } = {}) {
    this.level = opts.level ?? 6;
    const n = Math.max(1, opts.threads ?? availableParallelism());
    for (let i = 0; i < n; i++) {
      const w = new Worker(`(${workerMain.toString()})()`, { eval: true });
      w.on("message", (m: { id: number; out?: PieceResult[]; error?: string }) => this.settle(i, m));
      w.on("error", (e) => this.failAll(e));
      this.workers.push(w);
      this.load.push(0);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  private settle(worker: number, m: { id: number; out?: PieceResult[]; error?: string }): void {
    this.load[worker]!--;
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.out!);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Deflates the pieces (in one worker, in order). Buffers in `pieces` are transferred. */
  run(pieces: Piece[]): Promise<PieceResult[]> {
    const id = this.nextId++;
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    this.load[w]!++;
    const transfer = pieces.flatMap((p) => ("data" in p ? [p.data.buffer as ArrayBuffer] : []));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[w]!.postMessage({ id, level: this.level, window: WINDOW, pieces }, transfer);
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error("the compression pool was closed"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
