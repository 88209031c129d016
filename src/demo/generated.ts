// Large deterministic files without holding them in memory: byte o of a generated file comes from
// a 1 MiB pseudo-random block, rotated differently for every MiB, so any range is a zero-copy
// slice (the bench serves 1 GiB at line rate from this) and every MiB differs from its neighbours.

import { createHash } from "node:crypto";

export interface GeneratedBody {
  size: number;
  /** Bytes [offset, offset + length). */
  generate(offset: number, length: number): Buffer;
  /** Known digest, if computed (sha256Of fills it). */
  sha256?: string;
}

const B = 1 << 20;
const blocks = new Map<number, Buffer>();

function blockFor(seed: number): Buffer {
  let b = blocks.get(seed);
  if (b) return b;
  const one = Buffer.allocUnsafe(B);
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < B; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    one.writeUInt32LE(x, i);
  }
  b = Buffer.concat([one, one]);
  blocks.set(seed, b);
  return b;
}

/** A generated file of `size` bytes; different seeds give different contents. */
export function generatedFile(size: number, seed = 1): GeneratedBody {
  const block = blockFor(seed);
  const slice = (o: number, n: number) => {
    const k = Math.floor(o / B);
    const r = o % B;
    const rot = (k * 7919 * 64) % B;
    return block.subarray(r + rot, r + rot + n);
  };
  return {
    size,
    generate(offset, length) {
      const end = Math.min(size, offset + length);
      const parts: Buffer[] = [];
      for (let o = offset; o < end; ) {
        const n = Math.min(end - o, B - (o % B));
        parts.push(slice(o, n));
        o += n;
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };
}

/** sha256 of a generated or in-memory body (cached on generated bodies). */
export function sha256Of(body: Buffer | GeneratedBody): string {
  if (Buffer.isBuffer(body)) return createHash("sha256").update(body).digest("hex");
  if (body.sha256) return body.sha256;
  const h = createHash("sha256");
  for (let o = 0; o < body.size; o += 8 * B) h.update(body.generate(o, Math.min(8 * B, body.size - o)));
  body.sha256 = h.digest("hex");
  return body.sha256;
}

/** The whole body as one Buffer (small files in tests). */
export function bytesOf(body: Buffer | GeneratedBody): Buffer {
  return Buffer.isBuffer(body) ? body : body.generate(0, body.size);
}
