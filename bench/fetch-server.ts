// The benchmark's file server, in its own process so that serving does not share an event loop
// (or a core) with the client being measured. Prints one JSON line with its URL and the files.
// Usage: node bench/fetch-server.ts <perConnectionBytesPerSec (0: none)> <totalBytesPerSec>

import { generatedFile, type GeneratedBody } from "../src/demo/generated.ts";
import { startFileServer } from "../src/demo/http-server.ts";

const MiB = 1 << 20;

/** 300 files of mixed sizes (deterministic): many small, some medium, a few large. */
export function setSizes(): number[] {
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: 300 }, (_, i) => {
    if (i % 30 === 0) return Math.floor(8 * MiB + rnd() * 8 * MiB); // 10 × 8–16 MiB
    if (i % 3 === 0) return Math.floor(MiB + rnd() * 3 * MiB); // 90 × 1–4 MiB
    return Math.floor(16 * 1024 + rnd() * 1008 * 1024); // 200 × 16 KiB–1 MiB
  });
}

/**
 * The shape of a Python app's dependencies (deterministic): a 32 MiB runtime archive and 200 wheels,
 * 248 MiB in all: 2 of 24–28 MiB (a torch-sized tail), 18 of 2–6 MiB, 180 of 8 KiB–800 KiB.
 */
export function p2Sizes(): number[] {
  let x = 4242;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const sizes = [32 * MiB];
  for (let i = 0; i < 200; i++) {
    if (i < 2) sizes.push(Math.floor(24 * MiB + rnd() * 4 * MiB));
    else if (i < 20) sizes.push(Math.floor(2 * MiB + rnd() * 4 * MiB));
    else sizes.push(Math.floor(8 * 1024 + rnd() * 792 * 1024));
  }
  // Scale the small ones so that the whole set is exactly 248 MiB.
  const fixed = sizes.slice(0, 21).reduce((a, b) => a + b, 0);
  const small = sizes.slice(21).reduce((a, b) => a + b, 0);
  const k = (248 * MiB - fixed) / small;
  for (let i = 21; i < sizes.length; i++) sizes[i] = Math.max(1024, Math.floor(sizes[i]! * k));
  sizes[sizes.length - 1]! += 248 * MiB - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

export function benchFiles(): Record<string, GeneratedBody> {
  const files: Record<string, GeneratedBody> = { "/big.bin": generatedFile(1024 * MiB, 7), "/p1.bin": generatedFile(300 * MiB, 8) };
  setSizes().forEach((size, i) => (files[`/set/f${String(i).padStart(3, "0")}.bin`] = generatedFile(size, 100 + i)));
  p2Sizes().forEach((size, i) => (files[`/p2/f${String(i).padStart(3, "0")}.bin`] = generatedFile(size, 500 + i)));
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const per = Number(process.argv[2] ?? 20 * MiB);
  const total = Number(process.argv[3] ?? 160 * MiB);
  // A remote mirror does not lose bandwidth when this machine is busy; a 100 ms catch-up
  // allowance keeps a briefly descheduled server process from doing so here.
  const s = await startFileServer({ files: benchFiles(), throttle: { ...(per > 0 ? { perConnection: per } : {}), total, burstMs: 100 } });
  process.stdout.write(JSON.stringify({ url: s.url }) + "\n");
  process.on("SIGTERM", () => void s.close().then(() => process.exit(0)));
}
