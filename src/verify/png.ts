// A real PNG decoder for `bundle verify`: the image an app returns is only
// trusted after its signature, every chunk CRC, the header, the zlib stream and every scanline
// filter have been checked — a truncated or mangled base64 payload must not pass as "an image".
// Spec: PNG (Third Edition), W3C, §5 (datastream), §7.3 + §9 (filtering), §8 (Adam7), §11 (chunks).

import { crc32, inflateSync } from "node:zlib";
import { BundleError } from "../core/errors.ts";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Channels per colour type (§11.2.2 table 11.1). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Bit depths allowed per colour type (§11.2.2). */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
  /** 8-bit RGBA, row-major, width*height*4 bytes. */
  rgba: Uint8Array;
  /** tEXt chunks (A1111 writes its "parameters" there). */
  text: Record<string, string>;
  chunks: string[];
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

function fail(message: string): never {
  throw new BundleError("VERIFY", `PNG: ${message}`);
}

/** Decodes a PNG; throws BundleError("VERIFY") naming the first thing that is wrong. */
export function decodePng(buf: Uint8Array): DecodedPng {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (data.length < 8 || SIGNATURE.some((b, i) => data[i] !== b)) fail("not a PNG file (bad signature)");
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Buffer[] = [];
  const text: Record<string, string> = {};
  const chunks: string[] = [];
  let pos = 8;
  let ended = false;
  while (!ended) {
    if (pos + 12 > data.length) fail(`truncated: no IEND chunk (file ends at byte ${data.length})`);
    const len = data.readUInt32BE(pos);
    const type = data.toString("latin1", pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`bad chunk type at byte ${pos + 4}`);
    if (pos + 12 + len > data.length) fail(`truncated: chunk ${type} at byte ${pos} needs ${len} bytes`);
    const body = data.subarray(pos + 8, pos + 8 + len);
    const crc = data.readUInt32BE(pos + 8 + len);
    if (crc32(data.subarray(pos + 4, pos + 8 + len)) !== crc) fail(`chunk ${type} at byte ${pos}: CRC mismatch`);
    chunks.push(type);
    if (chunks.length === 1 && type !== "IHDR") fail("first chunk is not IHDR");
    if (type === "IHDR") header = readHeader(body);
    else if (type === "PLTE") palette = body;
    else if (type === "tRNS") trns = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "tEXt") {
      const nul = body.indexOf(0);
      if (nul > 0) text[body.toString("latin1", 0, nul)] = body.toString("latin1", nul + 1);
    } else if (type === "IEND") ended = true;
    else if ((type.charCodeAt(0) & 0x20) === 0) fail(`unknown critical chunk ${type}`);
    pos += 12 + len;
  }
  if (!header) fail("no IHDR chunk");
  if (idat.length === 0) fail("no IDAT chunk (no image data)");
  if (header.colorType === 3 && !palette) fail("colour type 3 without a PLTE chunk");
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    fail(`image data does not inflate: ${(e as Error).message}`);
  }
  const rgba = new Uint8Array(header.width * header.height * 4);
  const w = header.width;
  const used = header.interlaced ? decodeAdam7(raw, header, rgba, palette, trns) : decodePass(raw, 0, header, w, header.height, rgba, palette, trns, (x, y) => y * w + x);
  if (used !== raw.length) fail(`image data has ${raw.length} bytes, ${used} expected for ${header.width}×${header.height}`);
  return { ...header, rgba, text, chunks };
}

function readHeader(b: Buffer): Header {
  if (b.length !== 13) fail("IHDR must be 13 bytes");
  const width = b.readUInt32BE(0);
  const height = b.readUInt32BE(4);
  const [bitDepth, colorType, compression, filter, interlace] = [b[8]!, b[9]!, b[10]!, b[11]!, b[12]!];
  if (width === 0 || height === 0) fail(`zero-sized image ${width}×${height}`);
  if (width * height > 1 << 28) fail(`image ${width}×${height} is too large to check`);
  if (!DEPTHS[colorType]?.includes(bitDepth)) fail(`bit depth ${bitDepth} is not allowed with colour type ${colorType}`);
  if (compression !== 0 || filter !== 0 || interlace > 1) fail("unknown compression, filter or interlace method");
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/** Where pixel (x, y) of a pass lands in the full image, as a pixel index. */
type Place = (x: number, y: number) => number;

/** Adam7 passes (§8.2): start x, start y, step x, step y. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function decodeAdam7(raw: Buffer, h: Header, out: Uint8Array, palette?: Uint8Array, trns?: Uint8Array): number {
  let offset = 0;
  for (const [sx, sy, dx, dy] of ADAM7) {
    const w = Math.ceil((h.width - sx) / dx);
    const ht = Math.ceil((h.height - sy) / dy);
    if (w <= 0 || ht <= 0) continue; // empty passes have no scanlines at all (§8.2)
    offset = decodePass(raw, offset, h, w, ht, out, palette, trns, (x, y) => (sy + y * dy) * h.width + sx + x * dx);
  }
  return offset;
}

/** Unfilters one (sub)image starting at `offset` and writes its pixels; returns the offset after it. */
function decodePass(raw: Buffer, offset: number, h: Header, w: number, ht: number, out: Uint8Array, palette: Uint8Array | undefined, trns: Uint8Array | undefined, place: Place): number {
  const bitsPerPixel = CHANNELS[h.colorType]! * h.bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter byte distance (§9.2)
  const stride = Math.ceil((w * bitsPerPixel) / 8);
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  for (let y = 0; y < ht; y++) {
    if (offset + 1 + stride > raw.length) fail(`image data ends in scanline ${y} (truncated)`);
    const filter = raw[offset]!;
    cur.set(raw.subarray(offset + 1, offset + 1 + stride));
    unfilter(filter, cur, prev, bpp, y);
    offset += 1 + stride;
    for (let x = 0; x < w; x++) {
      writePixel(cur, x, h, out, place(x, y) * 4, palette, trns);
    }
    [prev, cur] = [cur, prev];
  }
  return offset;
}

/** Reverses the five filter types in place (§9.2–9.4). */
export function unfilter(filter: number, cur: Uint8Array, prev: Uint8Array, bpp: number, y = 0): void {
  const n = cur.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) cur[i] = (cur[i]! + cur[i - bpp]!) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) cur[i] = (cur[i]! + prev[i]!) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) cur[i] = (cur[i]! + ((i >= bpp ? cur[i - bpp]! : 0) + prev[i]!) / 2) & 0xff;
      return;
    case 4:
      for (let i = 0; i < n; i++) cur[i] = (cur[i]! + paeth(i >= bpp ? cur[i - bpp]! : 0, prev[i]!, i >= bpp ? prev[i - bpp]! : 0)) & 0xff;
      return;
    default:
      fail(`scanline ${y} has unknown filter type ${filter}`);
  }
}

/** The Paeth predictor (§9.4). */
export function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function sample(row: Uint8Array, index: number, depth: number): number {
  if (depth === 8) return row[index]!;
  if (depth === 16) return row[index * 2]!; // the high byte is the 8-bit value
  const bit = index * depth;
  return (row[bit >> 3]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

function writePixel(row: Uint8Array, x: number, h: Header, out: Uint8Array, o: number, palette?: Uint8Array, trns?: Uint8Array): void {
  const d = h.bitDepth;
  const scale = d < 8 ? 255 / ((1 << d) - 1) : 1;
  switch (h.colorType) {
    case 0: {
      const g = Math.round(sample(row, x, d) * scale);
      out.set([g, g, g, 255], o);
      return;
    }
    case 2:
      out.set([sample(row, x * 3, d), sample(row, x * 3 + 1, d), sample(row, x * 3 + 2, d), 255], o);
      return;
    case 3: {
      const i = sample(row, x, d);
      if (i * 3 + 2 >= palette!.length) fail(`palette index ${i} is outside the PLTE chunk`);
      out.set([palette![i * 3]!, palette![i * 3 + 1]!, palette![i * 3 + 2]!, trns && i < trns.length ? trns[i]! : 255], o);
      return;
    }
    case 4: {
      const g = sample(row, x * 2, d);
      out.set([g, g, g, sample(row, x * 2 + 1, d)], o);
      return;
    }
    default:
      out.set([sample(row, x * 4, d), sample(row, x * 4 + 1, d), sample(row, x * 4 + 2, d), sample(row, x * 4 + 3, d)], o);
  }
}
