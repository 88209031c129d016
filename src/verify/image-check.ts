// Is this a picture or a failure in disguise? NaN latents, a broken VAE and
// safety filters all return a well-formed PNG that is black or one flat colour; a real generation
// has spread in every channel. Pure: takes decoded RGBA pixels, returns figures and a verdict.

export interface ImageStats {
  width: number;
  height: number;
  /** Per-channel mean and standard deviation of R, G, B (0–255, composited over black). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Brightest channel value anywhere in the image. */
  max: number;
  /** Share of pixels that have the single most common colour (0–1). */
  dominantShare: number;
  /** Distinct colours, counted up to `DISTINCT_CAP`. */
  distinctColours: number;
}

export interface ImageVerdict {
  ok: boolean;
  /** Why the image is rejected; undefined when it passes. */
  reason?: string;
  stats: ImageStats;
}

/** Thresholds; a real 512×512 SD image has std-devs of 40–80 and tens of thousands of colours. */
export const IMAGE_LIMITS = {
  /** At or below this, every pixel counts as black (JPEG-ish noise on black stays under it). */
  blackMax: 8,
  /** Largest per-channel std-dev below this means "uniform". */
  minStd: 2,
  /** More than this share of identical pixels means "nearly uniform". */
  maxDominantShare: 0.98,
} as const;

const DISTINCT_CAP = 100_000;

export function imageStats(rgba: Uint8Array, width: number, height: number): ImageStats {
  const n = width * height;
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let max = 0;
  const counts = new Map<number, number>();
  let best = 0;
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3]! / 255;
    let key = 0;
    for (let c = 0; c < 3; c++) {
      const v = Math.round(rgba[i * 4 + c]! * a);
      sum[c]! += v;
      sq[c]! += v * v;
      if (v > max) max = v;
      key = key * 256 + v;
    }
    const k = counts.get(key);
    if (k !== undefined) {
      counts.set(key, k + 1);
      if (k + 1 > best) best = k + 1;
    } else if (counts.size < DISTINCT_CAP) {
      counts.set(key, 1);
      if (best === 0) best = 1;
    }
  }
  const mean = sum.map((s) => s / n) as [number, number, number];
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c]! ** 2))) as [number, number, number];
  return { width, height, mean: mean.map(round2) as [number, number, number], std: std.map(round2) as [number, number, number], max, dominantShare: round4(best / n), distinctColours: counts.size };
}

/** The verdict: all black, uniform, or nearly uniform images fail, with a reason a maintainer can act on. */
export function judgeImage(stats: ImageStats, limits: typeof IMAGE_LIMITS = IMAGE_LIMITS): ImageVerdict {
  if (stats.max <= limits.blackMax) {
    return { ok: false, stats, reason: "the image is all black (typical of NaN latents, a broken VAE or a safety filter; try --no-half-vae or check the checkpoint)" };
  }
  const spread = Math.max(...stats.std);
  if (spread < limits.minStd) {
    return { ok: false, stats, reason: `the image is one flat colour (largest channel std-dev ${spread} < ${limits.minStd})` };
  }
  if (stats.dominantShare > limits.maxDominantShare) {
    return { ok: false, stats, reason: `the image is nearly uniform (${(stats.dominantShare * 100).toFixed(1)}% of pixels share one colour)` };
  }
  return { ok: true, stats };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
