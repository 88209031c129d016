// Benchmark (not a test): the 7z release format. A mixed bundle-like tree — a Python runtime
// (many small .py files and native libraries), wheels with native libraries (.so/.pyd, really
// compressible structure and noise), a checkpoint (incompressible) — and optionally a built
// bundle folder (the demo) packed as greenbundle's zip, greenbundle's 7z at levels 5 and 7
// (7-Zip 24.09 in WebAssembly, one thread) and by `7zz` itself at -mx=5 and -mx=7 (the native
// 7-Zip of this machine, with its threads and with one), time and size side by side.
//
//   node bench/pack7z.ts [--size-mib N] [--demo DIR] [--levels 5,7]
//
// The tree's mix scales with --size-mib (default 2048). Everything is read once before the first
// timed run; each tool writes a fresh archive; one run each (7z packing is minutes per GiB here).

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { packBundle } from "../src/pack/index.ts";
import { du, MiB, textOf, warm, writeNative, writeRandom } from "./tree-gen.ts";

const args = process.argv.slice(2);
const val = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const totalMiB = Number(val("--size-mib") ?? 2048);
const demo = val("--demo");
const levels = (val("--levels") ?? "5,7").split(",").map(Number);
function makeTree(root: string): void {
  const s = totalMiB / 2048;
  const ckpt = join(root, "models", "Stable-diffusion");
  mkdirSync(ckpt, { recursive: true });
  writeRandom(join(ckpt, "model.safetensors"), Math.round(1200 * s) * MiB); // a checkpoint: incompressible
  const files = Math.round(12000 * s);
  for (let i = 0; i < files; i++) {
    const dir = join(root, "python", "lib", "python3.10", i % 3 === 0 ? "" : `site-packages/pkg${i % 150}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `mod_${i}.py`), textOf(2000 + ((i * 7919) % 22000), i));
  }
  const libs = join(root, "python", "lib", "python3.10", "site-packages", "torch", "lib");
  mkdirSync(libs, { recursive: true });
  for (let i = 0; i < 8; i++) writeNative(join(libs, `libtorch_${i}.so`), Math.round(60 * s) * MiB, i, { elf: true, noise: 2048 });
  mkdirSync(join(root, "python", "bin"), { recursive: true });
  writeNative(join(root, "python", "bin", "python3.10"), Math.round(8 * s) * MiB + 4096, 99, { elf: true, noise: 2048 });
}
const has7zz = spawnSync("7zz", ["i"], { stdio: "ignore" }).status === 0;

interface Row {
  tool: string;
  seconds: number;
  bytes: number;
}

async function bench(name: string, tree: string, work: string): Promise<void> {
  warm(tree);
  const size = du(tree);
  const rows: Row[] = [];
  const mtime = new Date("2024-01-01T00:00:00Z");
  const out = join(work, "out");
  mkdirSync(out, { recursive: true });
  const add = async (tool: string, file: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
    process.stderr.write(`${name}: ${tool}...\n`);
    rmSync(file, { force: true });
    const t = performance.now();
    await fn();
    rows.push({ tool, seconds: (performance.now() - t) / 1000, bytes: statSync(file).size });
    rmSync(file, { force: true });
  };
  await add("greenbundle zip", join(out, "gb.zip"), () => packBundle({ dir: tree, out: join(out, "gb.zip"), format: "zip", mtime }));
  for (const level of levels) {
    await add(`greenbundle 7z level ${level} (WASM, 1 thread)`, join(out, `gb${level}.7z`), () => packBundle({ dir: tree, out: join(out, `gb${level}.7z`), format: "7z", mtime, level }));
    if (has7zz) {
      const z = join(out, `z${level}.7z`);
      await add(`7zz -mx=${level} -mmt=1`, z, () => execFileSync("7zz", ["a", "-bd", "-bso0", "-t7z", `-mx=${level}`, "-mmt=1", z, "."], { cwd: tree }));
      await add(`7zz -mx=${level} (all threads)`, z, () => execFileSync("7zz", ["a", "-bd", "-bso0", "-t7z", `-mx=${level}`, z, "."], { cwd: tree }));
    }
  }
  const load = loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`\n### ${name}: ${(size.bytes / MiB).toFixed(0)} MiB in ${size.files} files; ${availableParallelism()} cores; load ${load}\n`);
  console.log("| tool | time (s) | MiB/s | archive (MiB) | size vs greenbundle zip | time vs greenbundle 7z at the same level |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const zip = rows[0]!;
  for (const r of rows) {
    const m = /level (\d)|-mx=(\d)/.exec(r.tool);
    const lvl = m?.[1] ?? m?.[2];
    const gb7 = lvl ? rows.find((x) => x.tool.startsWith(`greenbundle 7z level ${lvl}`)) : undefined;
    console.log(`| ${r.tool} | ${r.seconds.toFixed(1)} | ${(size.bytes / MiB / r.seconds).toFixed(1)} | ${(r.bytes / MiB).toFixed(1)} | ${((r.bytes / zip.bytes - 1) * 100).toFixed(1)} % | ${gb7 ? `${(r.seconds / gb7.seconds).toFixed(2)}×` : "—"} |`);
  }
}

const work = mkdtempSync(join(tmpdir(), "gb-bench-7z-"));
try {
  if (demo) await bench(`the bundle ${resolve(demo)}`, resolve(demo), work);
  if (totalMiB > 0) {
    const tree = join(work, "tree");
    process.stderr.write(`generating a ~${totalMiB} MiB mixed tree...\n`);
    makeTree(tree);
    await bench(`a mixed tree (--size-mib ${totalMiB})`, tree, work);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
