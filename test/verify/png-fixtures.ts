// A small PNG encoder for tests: every colour type and bit depth, a chosen filter per scanline,
// Adam7 interlacing, IDAT split into pieces. Written from the spec independently of the decoder
// (its own Paeth), so a shared mistake is unlikely.
import { crc32, deflateSync } from "node:zlib";

export interface EncodeOptions {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples per pixel, row-major, already at the bit depth (palette indices for type 3). */
  samples: number[];
  /** Filter for scanline y (of each pass when interlaced). */
  filter?: (y: number) => number;
  interlace?: boolean;
  palette?: [number, number, number][];
  trns?: number[];
  /** Split the zlib stream into this many IDAT chunks. */
  idatPieces?: number;
  text?: Record<string, string>;
}

const CH: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

function paethRef(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function packRow(vals: number[], depth: number): Buffer {
  if (depth === 16) return Buffer.from(vals.flatMap((v) => [v >> 8, v & 0xff]));
  if (depth === 8) return Buffer.from(vals);
  const out = Buffer.alloc(Math.ceil((vals.length * depth) / 8));
  vals.forEach((v, i) => {
    const bit = i * depth;
    out[bit >> 3]! |= v << (8 - depth - (bit & 7));
  });
  return out;
}

function filterRows(rows: Buffer[], bpp: number, filter: (y: number) => number): Buffer {
  const out: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(rows[0]?.length ?? 0);
  rows.forEach((row, y) => {
    const f = filter(y);
    const line = Buffer.alloc(row.length);
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? Math.floor((a + b) / 2) : paethRef(a, b, c);
      line[i] = (row[i]! - pred) & 0xff;
    }
    out.push(Buffer.from([f]), line);
    prev = row;
  });
  return Buffer.concat(out);
}

const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

export function encodePng(o: EncodeOptions): Buffer {
  const ch = CH[o.colorType]!;
  const bpp = Math.max(1, (ch * o.bitDepth) >> 3);
  const px = (x: number, y: number) => o.samples.slice((y * o.width + x) * ch, (y * o.width + x + 1) * ch);
  const filter = o.filter ?? (() => 0);
  let raw: Buffer;
  if (!o.interlace) {
    const rows = Array.from({ length: o.height }, (_, y) => packRow(Array.from({ length: o.width }, (_, x) => px(x, y)).flat(), o.bitDepth));
    raw = filterRows(rows, bpp, filter);
  } else {
    const parts: Buffer[] = [];
    for (const [sx, sy, dx, dy] of ADAM7) {
      const rows: Buffer[] = [];
      for (let y = sy!; y < o.height; y += dy!) {
        const vals: number[] = [];
        for (let x = sx!; x < o.width; x += dx!) vals.push(...px(x, y));
        if (vals.length) rows.push(packRow(vals, o.bitDepth));
      }
      if (rows.length) parts.push(filterRows(rows, bpp, filter));
    }
    raw = Buffer.concat(parts);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.width, 0);
  ihdr.writeUInt32BE(o.height, 4);
  ihdr.set([o.bitDepth, o.colorType, 0, 0, o.interlace ? 1 : 0], 8);
  const z = deflateSync(raw);
  const n = o.idatPieces ?? 1;
  const size = Math.ceil(z.length / n);
  const idats = Array.from({ length: n }, (_, i) => chunk("IDAT", z.subarray(i * size, (i + 1) * size)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    ...(o.palette ? [chunk("PLTE", Buffer.from(o.palette.flat()))] : []),
    ...(o.trns ? [chunk("tRNS", Buffer.from(o.trns))] : []),
    ...Object.entries(o.text ?? {}).map(([k, v]) => chunk("tEXt", Buffer.from(`${k}\0${v}`, "latin1"))),
    ...idats,
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A colourful RGB test pattern as 8-bit samples. */
export function pattern(width: number, height: number, channels = 3, max = 255): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) out.push(((x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 13) * 7919) % (max + 1));
  return out;
}
