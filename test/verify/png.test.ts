import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodePng } from "../../src/verify/png.ts";
import { chunk, encodePng, pattern, type EncodeOptions } from "./png-fixtures.ts";

/** What the decoder should produce: 8-bit RGBA. */
function expected(o: EncodeOptions): number[] {
  const ch = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[o.colorType];
  const to8 = (v: number) => (o.bitDepth === 16 ? v >> 8 : o.bitDepth < 8 ? Math.round((v * 255) / ((1 << o.bitDepth) - 1)) : v);
  const out: number[] = [];
  for (let i = 0; i < o.width * o.height; i++) {
    const s = o.samples.slice(i * ch, i * ch + ch);
    if (o.colorType === 0) out.push(to8(s[0]!), to8(s[0]!), to8(s[0]!), 255);
    else if (o.colorType === 2) out.push(to8(s[0]!), to8(s[1]!), to8(s[2]!), 255);
    else if (o.colorType === 3) out.push(...o.palette![s[0]!]!, o.trns?.[s[0]!] ?? 255);
    else if (o.colorType === 4) out.push(to8(s[0]!), to8(s[0]!), to8(s[0]!), to8(s[1]!));
    else out.push(...s.map(to8));
  }
  return out;
}

function roundTrip(o: EncodeOptions) {
  const d = decodePng(encodePng(o));
  expect([d.width, d.height]).toEqual([o.width, o.height]);
  expect(Array.from(d.rgba)).toEqual(expected(o));
  return d;
}

describe("decodePng", () => {
  for (const f of [0, 1, 2, 3, 4]) {
    it(`reverses filter type ${f} on every scanline of an RGB image`, () => {
      roundTrip({ width: 23, height: 11, colorType: 2, bitDepth: 8, samples: pattern(23, 11), filter: () => f });
    });
  }

  it("reverses a different filter on each scanline of an RGBA image", () => {
    roundTrip({ width: 17, height: 15, colorType: 6, bitDepth: 8, samples: pattern(17, 15, 4), filter: (y) => y % 5 });
  });

  it("decodes 16-bit RGB and RGBA by their high bytes", () => {
    roundTrip({ width: 9, height: 7, colorType: 2, bitDepth: 16, samples: pattern(9, 7, 3, 65535), filter: (y) => (y * 3) % 5 });
    roundTrip({ width: 9, height: 7, colorType: 6, bitDepth: 16, samples: pattern(9, 7, 4, 65535), filter: (y) => y % 5 });
  });

  for (const depth of [1, 2, 4, 8, 16] as const) {
    it(`decodes ${depth}-bit greyscale, scaled to 8 bits`, () => {
      roundTrip({ width: 13, height: 5, colorType: 0, bitDepth: depth, samples: pattern(13, 5, 1, 2 ** depth - 1), filter: (y) => y % 5 });
    });
  }

  it("decodes greyscale with alpha", () => {
    roundTrip({ width: 10, height: 4, colorType: 4, bitDepth: 8, samples: pattern(10, 4, 2), filter: (y) => 4 - (y % 5) });
  });

  for (const depth of [1, 2, 4, 8] as const) {
    it(`decodes ${depth}-bit palette images with transparency from tRNS`, () => {
      const n = 2 ** depth;
      const palette = Array.from({ length: n }, (_, i) => [(i * 40) % 256, (i * 90) % 256, 255 - ((i * 7) % 256)] as [number, number, number]);
      roundTrip({ width: 11, height: 6, colorType: 3, bitDepth: depth, samples: pattern(11, 6, 1, n - 1), palette, trns: [0, 128], filter: (y) => y % 5 });
    });
  }

  for (const [w, h] of [[1, 1], [3, 2], [13, 7], [33, 17]]) {
    it(`decodes an Adam7-interlaced ${w}×${h} image, empty passes included`, () => {
      roundTrip({ width: w!, height: h!, colorType: 2, bitDepth: 8, samples: pattern(w!, h!), interlace: true, filter: (y) => y % 5 });
      roundTrip({ width: w!, height: h!, colorType: 0, bitDepth: 2, samples: pattern(w!, h!, 1, 3), interlace: true, filter: (y) => (y + 2) % 5 });
    });
  }

  it("joins image data split over several IDAT chunks and reads tEXt parameters", () => {
    const d = roundTrip({ width: 20, height: 20, colorType: 2, bitDepth: 8, samples: pattern(20, 20), idatPieces: 4, text: { parameters: "a cute cat\nSteps: 20" } });
    expect(d.chunks.filter((c) => c === "IDAT")).toHaveLength(4);
    expect(d.text.parameters).toBe("a cute cat\nSteps: 20");
  });
});

describe("decodePng rejects broken files", () => {
  const good = () => encodePng({ width: 8, height: 8, colorType: 2, bitDepth: 8, samples: pattern(8, 8) });

  it("rejects a file that is not a PNG", () => {
    expect(() => decodePng(Buffer.from("GIF89a........"))).toThrow(/bad signature/);
  });

  it("names the chunk whose CRC does not match", () => {
    const b = good();
    b[19] = b[19]! ^ 0xff; // a byte of the IHDR body
    expect(() => decodePng(b)).toThrow(/chunk IHDR at byte 8: CRC mismatch/);
  });

  it("rejects a truncated file", () => {
    const b = good();
    expect(() => decodePng(b.subarray(0, b.length - 20))).toThrow(/truncated/);
  });

  it("rejects a file without IEND", () => {
    const b = good();
    expect(() => decodePng(b.subarray(0, b.length - 12))).toThrow(/no IEND/);
  });

  it("rejects an unknown filter type", () => {
    expect(() => decodePng(encodePng({ width: 4, height: 2, colorType: 2, bitDepth: 8, samples: pattern(4, 2), filter: () => 5 }))).toThrow(/unknown filter type 5/);
  });

  it("rejects image data shorter or longer than the header says", () => {
    const b = encodePng({ width: 8, height: 8, colorType: 2, bitDepth: 8, samples: pattern(8, 8) });
    // same data, header claims 9 rows: the data ends early
    const ihdrBody = b.subarray(16, 29);
    const tall = Buffer.from(ihdrBody);
    tall.writeUInt32BE(9, 4);
    const patched = Buffer.concat([b.subarray(0, 8), chunk("IHDR", tall), b.subarray(33)]);
    expect(() => decodePng(patched)).toThrow(/ends in scanline 8/);
    const short = Buffer.from(ihdrBody);
    short.writeUInt32BE(7, 4);
    expect(() => decodePng(Buffer.concat([b.subarray(0, 8), chunk("IHDR", short), b.subarray(33)]))).toThrow(/expected for 8×7/);
  });

  it("rejects a bit depth that the colour type does not allow", () => {
    const b = good();
    const ihdr = Buffer.from(b.subarray(16, 29));
    ihdr[8] = 4; // 4-bit RGB does not exist
    expect(() => decodePng(Buffer.concat([b.subarray(0, 8), chunk("IHDR", ihdr), b.subarray(33)]))).toThrow(/bit depth 4 is not allowed with colour type 2/);
  });

  it("rejects an unknown critical chunk but skips unknown ancillary ones", () => {
    const b = good();
    const withChunk = (type: string) => Buffer.concat([b.subarray(0, 33), chunk(type, Buffer.from("x")), b.subarray(33)]);
    expect(() => decodePng(withChunk("ABCD"))).toThrow(/unknown critical chunk ABCD/);
    expect(decodePng(withChunk("abCD")).width).toBe(8);
  });

  it("rejects image data that does not inflate", () => {
    const b = good();
    const idatAt = b.indexOf("IDAT", 0, "latin1") - 4;
    const len = b.readUInt32BE(idatAt);
    const body = Buffer.from(b.subarray(idatAt + 8, idatAt + 8 + len));
    body[2] = body[2]! ^ 0x55;
    body[3] = body[3]! ^ 0x55;
    const fixed = Buffer.concat([b.subarray(0, idatAt), chunk("IDAT", body), b.subarray(idatAt + 12 + len)]);
    expect(crc32(fixed)).not.toBe(crc32(b));
    expect(() => decodePng(fixed)).toThrow(/does not inflate|expected for|ends in scanline/);
  });
});
