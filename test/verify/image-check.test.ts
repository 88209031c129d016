import { describe, expect, it } from "vitest";
import { imageStats, judgeImage } from "../../src/verify/image-check.ts";

function image(w: number, h: number, f: (x: number, y: number) => [number, number, number, number?]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b, a] = f(x, y);
      out.set([r, g, b, a ?? 255], (y * w + x) * 4);
    }
  return out;
}

const judge = (w: number, h: number, f: (x: number, y: number) => [number, number, number, number?]) => judgeImage(imageStats(image(w, h, f), w, h));

describe("image checks", () => {
  it("accepts a colourful picture", () => {
    const v = judge(64, 48, (x, y) => [(x * 4) % 256, (y * 5) % 256, ((x + y) * 3) % 256]);
    expect(v.ok).toBe(true);
    expect(v.stats.distinctColours).toBeGreaterThan(1000);
  });

  it("rejects an all-black image, naming the usual causes", () => {
    const v = judge(32, 32, () => [0, 0, 0]);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/all black.*NaN/);
  });

  it("treats faint noise on black as black", () => {
    expect(judge(32, 32, (x, y) => [(x * y) % 5, 0, (x + y) % 3]).reason).toMatch(/all black/);
  });

  it("treats a fully transparent image as black", () => {
    expect(judge(16, 16, (x) => [200, x * 10, 30, 0]).reason).toMatch(/all black/);
  });

  it("rejects one flat colour", () => {
    const v = judge(32, 32, () => [120, 130, 140]);
    expect(v.reason).toMatch(/one flat colour/);
  });

  it("rejects an image that is flat except for a few pixels", () => {
    const v = judge(100, 100, (x, y) => (x < 10 && y === 0 ? [255, 0, 0] : [90, 90, 90]));
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/nearly uniform \(99\.9% of pixels share one colour\)|one flat colour/);
  });

  it("rejects a mostly uniform image even when its few other pixels spread the std-dev", () => {
    const v = judge(100, 100, (x, y) => (y === 0 ? [x * 2, 255 - x * 2, 0] : [30, 60, 90]));
    expect(v.stats.std.some((s) => s >= 2)).toBe(true);
    expect(v.reason).toMatch(/nearly uniform \(99\.0% of pixels share one colour\)/);
  });

  it("reports per-channel means and standard deviations", () => {
    const s = imageStats(image(2, 1, (x) => (x === 0 ? [0, 10, 20] : [100, 10, 40])), 2, 1);
    expect(s.mean).toEqual([50, 10, 30]);
    expect(s.std).toEqual([50, 0, 10]);
    expect(s.dominantShare).toBe(0.5);
  });
});
