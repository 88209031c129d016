// Volume sizes of `package.split` ("2GiB", "700MB"): pure, so that recipe validation can check
// them at their position without loading the packers.

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30 };

/** Smaller volumes would mean thousands of files for one bundle. */
export const MIN_SPLIT = 64 * 1024;

/** Bytes of a size string, or undefined when it is not one. */
export function sizeBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)$/i.exec(s.trim());
  return m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!) : undefined;
}
