// Writing received bytes: gathered into writes of about 1 MiB with writev (fewer syscalls and
// thread-pool hops than one write per 64 KiB chunk, and no copy into one big buffer). On a slow
// connection a batch is written once it is WRITE_HOLD_MS old instead: what is held in memory is
// what a kill -9 loses, and at 4 MiB/s a full batch is a quarter of a second of download per
// connection.

import type { FileHandle } from "node:fs/promises";

export const WRITE_BATCH = 1 << 20;
export const WRITE_HOLD_MS = 50;

/** Received bytes waiting to be written. */
export class WriteBatch {
  bufs: Buffer[] = [];
  len = 0;
  private since = 0;

  add(b: Buffer): void {
    if (this.len === 0) this.since = Date.now();
    this.bufs.push(b);
    this.len += b.length;
  }

  /** Whether to write now: a full batch, or bytes held for WRITE_HOLD_MS. */
  get due(): boolean {
    return this.len >= WRITE_BATCH || (this.len > 0 && Date.now() - this.since >= WRITE_HOLD_MS);
  }

  take(): Buffer[] {
    const b = this.bufs;
    this.bufs = [];
    this.len = 0;
    return b;
  }
}

/** The first n bytes of a list of buffers, without copying. */
export function clip(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n <= 0) break;
    out.push(b.length > n ? b.subarray(0, n) : b);
    n -= b.length;
  }
  return out;
}

/** writev at a position, looping over short writes (no concatenation: a 1 GiB file would mean 1 GiB of copies). */
export async function writeAllAt(fh: FileHandle, bufs: Buffer[], at: number): Promise<void> {
  let rest = bufs;
  let pos = at;
  while (rest.length) {
    const { bytesWritten } = await fh.writev(rest, pos);
    pos += bytesWritten;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    if (bytesWritten === 0 && next.length) throw new Error(`short write at ${pos}`);
    rest = next;
  }
}
