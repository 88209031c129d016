// Reading one file out of a zip on a server with two or three ranged reads: the end of central
// directory record, the central directory, then the entry (APPNOTE.TXT 4.3.12–4.3.16, ZIP64 4.3.14).
// The closure check uses it for a wheel's METADATA when the index offers no PEP 658 file, so that
// locking torch does not mean downloading 2.5 GB.

import { crc32, inflateRawSync } from "node:zlib";

export type RangeReader = (start: number, length: number | "suffix") => Promise<{ body: Buffer; total?: number }>;

export interface CentralEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const TAIL = 64 * 1024 + 22;

class ZipReadError extends Error {}

/** Parses central directory records (with ZIP64 extra fields for sizes and offsets). */
export function parseCentralDirectory(cd: Buffer, count: number): CentralEntry[] {
  const out: CentralEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (cd.readUInt32LE(p) !== CENTRAL) throw new ZipReadError(`bad central directory record at ${p}`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const e: CentralEntry = {
      name: cd.subarray(p + 46, p + 46 + nameLen).toString("utf8"),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let q = 0; q + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(q);
      const len = extra.readUInt16LE(q + 2);
      if (id === 0x0001) {
        let r = q + 4;
        const next = () => {
          const v = Number(extra.readBigUInt64LE(r));
          r += 8;
          return v;
        };
        if (e.size === 0xffffffff) e.size = next();
        if (e.compressedSize === 0xffffffff) e.compressedSize = next();
        if (e.localOffset === 0xffffffff) e.localOffset = next();
      }
      q += 4 + len;
    }
    out.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Finds the central directory of a remote zip. */
export async function remoteCentralDirectory(read: RangeReader): Promise<{ entries: CentralEntry[]; total: number }> {
  const { body: tail, total: t } = await read(TAIL, "suffix");
  const total = t ?? tail.length;
  const tailStart = total - tail.length;
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) {
    at = i;
    break;
  }
  if (at < 0) throw new ZipReadError("no end of central directory record");
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if ((offset === 0xffffffff || count === 0xffff || size === 0xffffffff) && at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const rec = Number(tail.readBigUInt64LE(at - 20 + 8));
    const z = rec >= tailStart ? tail.subarray(rec - tailStart, rec - tailStart + 56) : (await read(rec, 56)).body;
    count = Number(z.readBigUInt64LE(32));
    size = Number(z.readBigUInt64LE(40));
    offset = Number(z.readBigUInt64LE(48));
  }
  const cd = offset >= tailStart && offset + size <= total ? tail.subarray(offset - tailStart, offset - tailStart + size) : (await read(offset, size)).body;
  return { entries: parseCentralDirectory(cd, count), total };
}

/** Reads and inflates one entry (CRC checked). */
export async function remoteEntry(read: RangeReader, e: CentralEntry): Promise<Buffer> {
  if (e.method !== 0 && e.method !== 8) throw new ZipReadError(`${e.name}: compression method ${e.method} is not supported`);
  const guess = 30 + Buffer.byteLength(e.name) + 512 + e.compressedSize;
  let { body } = await read(e.localOffset, guess);
  if (body.readUInt32LE(0) !== LOCAL) throw new ZipReadError(`${e.name}: bad local header`);
  const dataStart = 30 + body.readUInt16LE(26) + body.readUInt16LE(28);
  if (dataStart + e.compressedSize > body.length) body = (await read(e.localOffset, dataStart + e.compressedSize)).body;
  const raw = body.subarray(dataStart, dataStart + e.compressedSize);
  const data = e.method === 8 ? inflateRawSync(raw) : raw;
  if (crc32(data) >>> 0 !== e.crc >>> 0) throw new ZipReadError(`${e.name}: CRC-32 mismatch`);
  return data;
}

/** The METADATA of a remote wheel, and the wheel's size, or undefined when it has no single .dist-info/METADATA. */
export async function remoteWheelMetadata(read: RangeReader): Promise<{ text: string; size: number } | undefined> {
  const { entries, total } = await remoteCentralDirectory(read);
  const md = entries.filter((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
  if (md.length !== 1) return undefined;
  return { text: (await remoteEntry(read, md[0]!)).toString("utf8"), size: total };
}
