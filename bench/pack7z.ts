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
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { packBundle } from "../src/pack/index.ts";

const args = process.argv.slice(2);
const val = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const totalMiB = Number(val("--size-mib") ?? 2048);
const demo = val("--demo");
const levels = (val("--levels") ?? "5,7").split(",").map(Number);
const MiB = 2 ** 20;

const WORDS = "import torch numpy def class return self model prompt image sampler steps width height seed cfg scale latent vae unet clip".split(" ");
function textOf(size: number, seed: number): Buffer {
  let x = seed >>> 0;
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[x % WORDS.length]!;
    const sep = x % 11 === 0 ? "\n    " : x % 5 === 0 ? "(" : " ";
    parts.push(w, sep);
    n += w.length + sep.length;
  }
  return Buffer.from(parts.join("").slice(0, size));
}
function writeRandom(path: string, size: number): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.allocUnsafe(8 * MiB);
  for (let done = 0; done < size; done += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - done));
  }
  closeSync(fd);
}
/** Native-library-like: an ELF header, then structure (repeated tables) and noise alternately. */
function writeNative(path: string, size: number, seed: number): void {
  const fd = openSync(path, "w");
  const elf = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
  elf.writeUInt16LE(3, 16); // shared object
  elf.writeUInt16LE(62, 18); // x86-64
  writeSync(fd, elf);
  const table = textOf(4096, seed);
  const noise = Buffer.allocUnsafe(2048);
  for (let done = 64; done < size; done += 6144) {
    randomFillSync(noise);
    writeSync(fd, table);
    writeSync(fd, noise);
  }
  closeSync(fd);
}
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
  for (let i = 0; i < 8; i++) writeNative(join(libs, `libtorch_${i}.so`), Math.round(60 * s) * MiB, i);
  mkdirSync(join(root, "python", "bin"), { recursive: true });
  writeNative(join(root, "python", "bin", "python3.10"), Math.round(8 * s) * MiB + 4096, 99);
}
function du(root: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) {
        bytes += statSync(join(d, e.name)).size;
        files++;
      }
    }
  };
  walk(root);
  return { bytes, files };
}
function warm(root: string): void {
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) readFileSync(join(d, e.name));
    }
  };
  walk(root);
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
