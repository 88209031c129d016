// Writing received bytes: gathered into writes of about 1 MiB with writev (fewer syscalls and
// thread-pool hops than one write per 64 KiB chunk, and no copy into one big buffer).

import type { FileHandle } from "node:fs/promises";

export const WRITE_BATCH = 1 << 20;

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
