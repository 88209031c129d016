// ZIP records, written from PKWARE's APPNOTE.TXT 6.3 (sections 4.3.7 local file header, 4.3.12
// central directory header, 4.3.14–4.3.16 ZIP64 end records, 4.5.3 ZIP64 extra field) and
// Info-ZIP's extended timestamp field (0x5455). Pure: values in, bytes out.

export const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
/** A 32-bit field at this value means "see the ZIP64 extra field". */
export const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Files this big get a ZIP64 local header up front: deflate may grow incompressible data a little. */
export const ZIP64_LOCAL_THRESHOLD = 0xff000000;

const FLAG_UTF8 = 1 << 11; // APPNOTE 4.4.4 bit 11: names are UTF-8
/** "Made by" UNIX (3), spec 6.3: extractors then apply the mode bits in the external attributes. */
const MADE_BY = (3 << 8) | 63;

export interface EntryHeader {
  /** The name in the archive: '/'-separated, directories end with '/'. */
  name: string;
  method: number;
  /** Unix mode with file type bits (S_IFREG | 0o644, S_IFDIR | 0o755, S_IFLNK | 0o777). */
  mode: number;
  mtime: Date;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header from the start of the archive. */
  offset: number;
  /** Whether the local header carries a ZIP64 extra field (decided before the data is written). */
  zip64Local: boolean;
}

/** MS-DOS date and time (APPNOTE 4.4.6), from UTC fields so the bytes do not depend on the time zone. */
export function dosDateTime(d: Date): { date: number; time: number } {
  const y = d.getUTCFullYear();
  if (y < 1980) return { date: (1 << 5) | 1, time: 0 }; // 1980-01-01 00:00, the earliest DOS date
  if (y > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  const date = ((y - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  return { date, time };
}

function timestampExtra(mtime: Date): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4); // flags: modification time present
  b.writeInt32LE(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.floor(mtime.getTime() / 1000))), 5);
  return b;
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

const nameFlags = (name: Buffer): number => (name.some((c) => c >= 0x80) ? FLAG_UTF8 : 0);

/** The local file header. Its length never depends on crc or sizes, so it can be rewritten in place. */
export function localHeader(e: EntryHeader): Buffer {
  const name = Buffer.from(e.name, "utf8");
  const extra = Buffer.concat([...(e.zip64Local ? [zip64Extra([e.size, e.compressedSize])] : []), timestampExtra(e.mtime)]);
  const { date, time } = dosDateTime(e.mtime);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(SIG_LOCAL, 0);
  h.writeUInt16LE(e.zip64Local ? 45 : 20, 4);
  h.writeUInt16LE(nameFlags(name), 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  h.writeUInt32LE(e.crc >>> 0, 14);
  h.writeUInt32LE(e.zip64Local ? MAX32 : e.compressedSize, 18);
  h.writeUInt32LE(e.zip64Local ? MAX32 : e.size, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

export function centralHeader(e: EntryHeader): Buffer {
  const name = Buffer.from(e.name, "utf8");
  const big = [e.size, e.compressedSize, e.offset].map((v) => v >= MAX32);
  const z = [e.size, e.compressedSize, e.offset].filter((_, i) => big[i]);
  const extra = Buffer.concat([...(z.length > 0 ? [zip64Extra(z)] : []), timestampExtra(e.mtime)]);
  const { date, time } = dosDateTime(e.mtime);
  const isDir = (e.mode & 0o170000) === 0o040000;
  const h = Buffer.alloc(46);
  h.writeUInt32LE(SIG_CENTRAL, 0);
  h.writeUInt16LE(MADE_BY, 4);
  h.writeUInt16LE(z.length > 0 || e.zip64Local ? 45 : 20, 6);
  h.writeUInt16LE(nameFlags(name), 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(time, 12);
  h.writeUInt16LE(date, 14);
  h.writeUInt32LE(e.crc >>> 0, 16);
  h.writeUInt32LE(big[1] ? MAX32 : e.compressedSize, 20);
  h.writeUInt32LE(big[0] ? MAX32 : e.size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  // 32: comment length, 34: disk number start, 36: internal attributes — all 0.
  h.writeUInt32LE((((e.mode & 0xffff) << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
  h.writeUInt32LE(big[2] ? MAX32 : e.offset, 42);
  return Buffer.concat([h, name, extra]);
}

/** ZIP64 end record and locator (when needed) and the end of central directory record. */
export function endRecords(count: number, cdOffset: number, cdSize: number): Buffer {
  const zip64 = count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const parts: Buffer[] = [];
  if (zip64) {
    const r = Buffer.alloc(56);
    r.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    r.writeBigUInt64LE(44n, 4); // size of the rest of this record
    r.writeUInt16LE(MADE_BY, 12);
    r.writeUInt16LE(45, 14);
    // 16: this disk, 20: disk with the central directory — 0.
    r.writeBigUInt64LE(BigInt(count), 24);
    r.writeBigUInt64LE(BigInt(count), 32);
    r.writeBigUInt64LE(BigInt(cdSize), 40);
    r.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    loc.writeUInt32LE(1, 16); // total number of disks
    parts.push(r, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(Math.min(count, MAX16), 8);
  e.writeUInt16LE(Math.min(count, MAX16), 10);
  e.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  e.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
  parts.push(e);
  return Buffer.concat(parts);
}
