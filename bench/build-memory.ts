// Benchmark: peak memory (VmHWM) of `bundle build` for a bundle with a 4 GiB checkpoint and a
// wheel of 20,000 files, against the loopback build world (test/build/world.ts). The checkpoint is
// generated on the fly by the file server, never held in memory. The build runs in its own
// process (the world's servers stay in this one), which reports its own peak RSS.
// Not a test: `node bench/build-memory.ts [--gib N] [--files N]`. Needs ~2 × N GiB of free disk
// (cache and bundle); everything is removed at the end.

import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generatedFile, sha256Of } from "../src/demo/generated.ts";
import { bulkWheelSpec, makeWheel } from "../src/demo/wheels.ts";
import type { LockFile } from "../src/python/lockfile.ts";
import { makeWorld } from "../test/build/world.ts";

const { values: o, positionals } = parseArgs({ allowPositionals: true, options: { gib: { type: "string", default: "4" }, files: { type: "string", default: "20000" }, child: { type: "boolean" } } });

if (o.child) {
  // The build itself: print the peak RSS (VmHWM, KiB) when it is done.
  const [recipe, cacheDir, outDir] = positionals;
  const { buildBundle } = await import("../src/assemble/build.ts");
  const t0 = performance.now();
  const r = await buildBundle({ recipe: recipe!, cacheDir: cacheDir!, outDir: outDir!, launcher: false, builderVersion: "bench" });
  // The figure counts only if the bundle really holds the checkpoint and every file of the wheel.
  const checkpoint = (await stat(join(r.bundleDir, "app", "models", "big.safetensors"))).size;
  const files = (await readdir(r.bundleDir, { recursive: true })).length;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(await readFile("/proc/self/status", "utf8"))?.[1];
  process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, vmHwmKiB: Number(hwm), checkpoint, files }) + "\n");
  process.exit(0);
}

const GiB = 1 << 30;
const size = Math.round(Number(o.gib) * GiB);
const tmp = await mkdtemp(join(tmpdir(), "gb-mem-"));
const world = await makeWorld(tmp);
try {
  process.stderr.write(`hashing the ${o.gib} GiB checkpoint…\n`);
  const big = generatedFile(size, 11);
  const bigSha = sha256Of(big);
  world.files.setFile("/hf/org/big/resolve/main/big.safetensors", big);
  process.stderr.write(`making a wheel of ${o.files} files…\n`);
  const wheel = await makeWheel(bulkWheelSpec("bulk-pkg", { files: Number(o.files), avgSize: 1500, version: "1.0" }));
  world.files.setFile(`/simple/bulk-pkg/${wheel.filename}`, wheel.data);
  world.files.setFile("/simple/bulk-pkg/", Buffer.from(`<a href="${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a>\n`));
  const dir = join(tmp, "recipe");
  const lock = JSON.parse(await readFile(join(dir, "world.lock.json"), "utf8")) as LockFile;
  lock.platforms["linux-x64"]!.wheels.push({ name: "bulk-pkg", version: "1.0", filename: wheel.filename, sha256: wheel.sha256, size: wheel.size, index: "pypi", path: wheel.filename });
  await writeFile(join(dir, "world.lock.json"), JSON.stringify(lock, null, 2));
  await writeFile(join(dir, "world.requirements.txt"), "demo-pkg==1.0\nbulk-pkg==1.0\n");
  const yaml = (await readFile(world.recipe, "utf8")).replace(
    "files:\n",
    `files:\n  - path: app/models/big.safetensors\n    url: mirror://hf/org/big/resolve/main/big.safetensors\n    sha256: ${bigSha}\n    size: ${size}\n`,
  );
  await writeFile(world.recipe, yaml);
  process.stderr.write("building…\n");
  const load = loadavg()[0]!;
  const out = await new Promise<string>((resolve, reject) => {
    let text = "";
    const c = spawn(process.execPath, [import.meta.filename, "--child", world.recipe, join(tmp, "cache"), join(tmp, "dist")], { stdio: ["ignore", "pipe", "inherit"] });
    c.stdout.on("data", (d: Buffer) => (text += d.toString()));
    c.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`build exited with ${code}`))));
  });
  const r = JSON.parse(out) as { seconds: number; vmHwmKiB: number; checkpoint: number; files: number };
  if (r.checkpoint !== size) throw new Error(`the bundle's checkpoint has ${r.checkpoint} bytes, not ${size}`);
  process.stdout.write(`bundle build, ${o.gib} GiB checkpoint + a wheel of ${o.files} files: peak RSS ${(r.vmHwmKiB / 1024).toFixed(0)} MiB (${r.files} entries in the bundle), ${r.seconds.toFixed(1)} s, load average ${load.toFixed(1)} at the start\n`);
} finally {
  await world.close();
  await rm(tmp, { recursive: true, force: true });
}
