// Benchmark (not a test): packing the same ~2 GiB bundle-like tree with greenbundle vs `zip -r -6`
// vs `7zz a -tzip -mx=5` (and greenbundle's tar.gz vs `tar -czf`): wall time and archive size.
//
//   node bench/pack.ts [--runs N] [--size-mib N] [--keep]
//
// The tree: incompressible model-like files (.safetensors/.ckpt), many small Python/text files,
// wheels and PNGs (compressed already), and native-library-like files (half structure, half
// noise). Everything is in the page cache before the first timed run; each tool writes a fresh
// archive. The target: greenbundle no slower than `zip -6`, size within 2 %.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { packBundle } from "../src/pack/index.ts";
import { du, MiB, textOf, warm, writeNative, writeRandom } from "./tree-gen.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const runs = opt("--runs", 1);
const totalMiB = opt("--size-mib", 2048);
const keep = args.includes("--keep");
function makeTree(root: string): void {
  const scale = totalMiB / 2048;
  const models = join(root, "webui", "models", "Stable-diffusion");
  mkdirSync(models, { recursive: true });
  for (let i = 0; i < 3; i++) writeRandom(join(models, `model-${i}.safetensors`), Math.round(400 * scale) * MiB);
  writeRandom(join(models, "old.ckpt"), Math.round(200 * scale) * MiB);
  const files = Math.round(20000 * scale);
  for (let i = 0; i < files; i++) {
    const dir = join(root, "python", "Lib", "site-packages", `pkg${i % 200}`, `sub${i % 7}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `mod_${i}.py`), textOf(2000 + ((i * 7919) % 22000), i));
  }
  mkdirSync(join(root, "wheels"), { recursive: true });
  for (let i = 0; i < 20; i++) writeRandom(join(root, "wheels", `pkg${i}-1.0-py3-none-any.whl`), Math.round(5 * scale * MiB));
  mkdirSync(join(root, "webui", "assets"), { recursive: true });
  for (let i = 0; i < 200; i++) writeRandom(join(root, "webui", "assets", `img${i}.png`), Math.round(200 * 1024 * scale));
  const libs = join(root, "python", "Lib", "site-packages", "torch", "lib");
  mkdirSync(libs, { recursive: true });
  for (let i = 0; i < 5; i++) writeNative(join(libs, `native${i}.so`), Math.round(40 * scale) * MiB, i);
}

interface Row {
  tool: string;
  seconds: number;
  bytes: number;
}

function has(tool: string, a: string[]): boolean {
  return spawnSync(tool, a, { stdio: "ignore" }).status === 0;
}

async function timeIt(fn: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "gb-bench-pack-"));
  const tree = join(work, "bundle");
  try {
    process.stderr.write(`generating a ~${totalMiB} MiB tree in ${tree}...\n`);
    makeTree(tree);
    warm(tree);
    const size = du(tree);
    const rows: Row[] = [];
    const mtime = new Date("2024-01-01T00:00:00Z");
    const out = (name: string): string => {
      const p = join(work, "out", name);
      rmSync(p, { force: true });
      mkdirSync(join(work, "out"), { recursive: true });
      return p;
    };
    const add = async (tool: string, file: string, fn: () => Promise<void> | void): Promise<void> => {
      process.stderr.write(`${tool}...\n`);
      const seconds = await timeIt(async () => {
        rmSync(file, { force: true });
        await fn();
      });
      rows.push({ tool, seconds, bytes: statSync(file).size });
    };
    const gbZip = out("gb.zip");
    await add("greenbundle zip", gbZip, async () => void (await packBundle({ dir: tree, out: gbZip, format: "zip", mtime })));
    const zip6 = out("zip6.zip");
    if (has("zip", ["-v"])) await add("zip -r -6", zip6, () => void execFileSync("zip", ["-q", "-r", "-6", zip6, "."], { cwd: tree }));
    const z7 = out("7zz.zip");
    if (has("7zz", ["i"])) await add("7zz a -tzip -mx=5", z7, () => void execFileSync("7zz", ["a", "-bd", "-bso0", "-tzip", "-mx=5", z7, "."], { cwd: tree }));
    const gbTgz = out("gb.tar.gz");
    await add("greenbundle tar.gz", gbTgz, async () => void (await packBundle({ dir: tree, out: gbTgz, format: "tar.gz", mtime })));
    const tgz = out("tar.tar.gz");
    await add("tar -czf (gzip -6)", tgz, () => void execFileSync("tar", ["-czf", tgz, "-C", tree, "."]));
    report(rows, size);
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`kept ${work}\n`);
  }
}

function report(rows: Row[], size: { bytes: number; files: number }): void {
  const load = loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`\ninput: ${(size.bytes / MiB).toFixed(0)} MiB in ${size.files} files; ${availableParallelism()} cores; load ${load}; median of ${runs} run(s)\n`);
  console.log("| tool | time (s) | MiB/s | archive (MiB) | time vs greenbundle | size vs greenbundle |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const base = (r: Row): Row => rows.find((x) => x.tool === (r.tool.includes("tar") ? "greenbundle tar.gz" : "greenbundle zip"))!;
  for (const r of rows) {
    const b = base(r);
    console.log(`| ${r.tool} | ${r.seconds.toFixed(1)} | ${(size.bytes / MiB / r.seconds).toFixed(0)} | ${(r.bytes / MiB).toFixed(1)} | ${(r.seconds / b.seconds).toFixed(2)}× | ${((r.bytes / b.bytes - 1) * 100).toFixed(2)} % |`);
  }
}

await main();
