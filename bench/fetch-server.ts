// The benchmark's file server, in its own process so that serving does not share an event loop
// (or a core) with the client being measured. Prints one JSON line with its URL and the files.
// Usage: node bench/fetch-server.ts <perConnectionBytesPerSec> <totalBytesPerSec>

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

export function benchFiles(): Record<string, GeneratedBody> {
  const files: Record<string, GeneratedBody> = { "/big.bin": generatedFile(1024 * MiB, 7) };
  setSizes().forEach((size, i) => (files[`/set/f${String(i).padStart(3, "0")}.bin`] = generatedFile(size, 100 + i)));
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const per = Number(process.argv[2] ?? 20 * MiB);
  const total = Number(process.argv[3] ?? 160 * MiB);
  // A remote mirror does not lose bandwidth when this machine is busy; a 100 ms catch-up
  // allowance keeps a briefly descheduled server process from doing so here.
  const s = await startFileServer({ files: benchFiles(), throttle: { perConnection: per, total, burstMs: 100 } });
  process.stdout.write(JSON.stringify({ url: s.url }) + "\n");
  process.on("SIGTERM", () => void s.close().then(() => process.exit(0)));
}
