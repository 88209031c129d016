// Pure parts of packing: CRC combination, DOS timestamps, end records, store/deflate by name, sizes.

import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32Combine } from "../../src/pack/crc32.ts";
import { dosDateTime, endRecords } from "../../src/pack/zip-format.ts";
import { methodByName, judgeSample, sampleRange } from "../../src/pack/policy.ts";
import { parseSize } from "../../src/pack/index.ts";

describe("CRC-32 of pieces", () => {
  it("combines the CRCs of two pieces into the CRC of both", () => {
    for (const [a, b] of [[0, 10], [1, 1], [1000, 0], [65536, 12345], [3, 1 << 20]] as const) {
      const A = randomBytes(a);
      const B = randomBytes(b);
      expect(crc32Combine(crc32(A), crc32(B), b)).toBe(crc32(Buffer.concat([A, B])));
    }
  });

  it("stays consistent for pieces far beyond 4 GiB", () => {
    const [a, b, c] = [0x12345678, 0x9abcdef0, 0x0fedcba9];
    const lb = 5 * 2 ** 30 + 17;
    const lc = 2 ** 40 + 3;
    expect(crc32Combine(crc32Combine(a, b, lb), c, lc)).toBe(crc32Combine(a, crc32Combine(b, c, lc), lb + lc));
  });
});

describe("zip records", () => {
  it("writes DOS time from UTC fields and clamps dates before 1980", () => {
    expect(dosDateTime(new Date("2024-05-06T07:08:11Z"))).toEqual({ date: (44 << 9) | (5 << 5) | 6, time: (7 << 11) | (8 << 5) | 5 });
    expect(dosDateTime(new Date(0))).toEqual({ date: (1 << 5) | 1, time: 0 });
  });

  it("adds the ZIP64 end records only when counts or offsets overflow", () => {
    expect(endRecords(10, 1000, 200).length).toBe(22);
    const z = endRecords(70000, 1000, 200);
    expect(z.length).toBe(56 + 20 + 22);
    expect(z.readUInt32LE(0)).toBe(0x06064b50);
    expect(z.readUInt16LE(56 + 20 + 8)).toBe(0xffff);
    expect(endRecords(1, 2 ** 32 + 5, 46).length).toBe(98);
  });
});

describe("store or deflate", () => {
  it("decides by name for known types and by a sample for big unknown ones", () => {
    expect(methodByName("m/v1.safetensors", 4e9)).toBe("store");
    expect(methodByName("m/v1.safetensors", 4e9, { deflateWeights: true })).toBe("deflate");
    expect(methodByName("w/torch-2.1.whl", 1e8)).toBe("store");
    expect(methodByName("a/B.PNG", 10)).toBe("store");
    expect(methodByName("webui/launch.py", 5000)).toBe("deflate");
    expect(methodByName("torch/lib/torch_cuda.dll", 9e8)).toBe("sample");
    expect(methodByName("empty.py", 0)).toBe("store");
    expect(judgeSample(randomBytes(65536))).toBe("store");
    expect(judgeSample(Buffer.alloc(65536, "abc"))).toBe("deflate");
    expect(sampleRange(10 << 20)).toEqual({ offset: (10 << 20) / 2 - 32768, length: 65536 });
  });

  it("reads volume sizes as the recipe writes them", () => {
    expect(parseSize("2GiB")).toBe(2 * 2 ** 30);
    expect(parseSize("700 MB")).toBe(700e6);
    expect(parseSize(1 << 20)).toBe(1 << 20);
    expect(() => parseSize("2 parsecs")).toThrow(/package.split/);
  });
});
