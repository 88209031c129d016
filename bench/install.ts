// Benchmark (not a test): installing the same set of wheels with greenbundle's installer vs
// `python -m pip install --no-deps --no-index --target` (with and without byte-compiling) vs
// `unzip` run in parallel (the floor: no RECORD check, no scripts, no clash detection).
//
//   node bench/install.ts [--runs N] [--keep]
//
// The wheel set: generated wheels with many small modules (like real libraries), one with a few
// large incompressible files (like native libraries), and Debian's real pip/setuptools/wheel.

import { execa } from "execa";
import { readdirSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { bulkWheelSpec, writeWheel } from "../src/demo/wheels.ts";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 3;
const keep = args.includes("--keep");
const python = process.env.BUNDLE_HOST_PYTHON ?? "python3";

async function makeSet(dir: string): Promise<string[]> {
  const paths: string[] = [];
  // 11 KB per module on average: what the .py files of a real site-packages average (31k files measured).
  for (let i = 0; i < 8; i++) paths.push((await writeWheel(dir, bulkWheelSpec(`bulk-lib-${i}`, { files: 600, avgSize: 11000, seed: i + 1 }))).path);
  const rand = (n: number, seed: number) => {
    const b = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    return b;
  };
  paths.push((await writeWheel(dir, { name: "native-libs", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64", files: { "native_libs/__init__.py": "", "native_libs/_a.so": rand(6 << 20, 1), "native_libs/_b.so": rand(4 << 20, 2), "native_libs/_c.so": rand(2 << 20, 3) } })).path);
  for (const f of readdirSync("/usr/share/python-wheels").filter((n) => n.endsWith(".whl"))) {
    await copyFile(join("/usr/share/python-wheels", f), join(dir, f));
    paths.push(join(dir, f));
  }
  return paths;
}

/** Wall seconds, and CPU seconds of the process tree from GNU time. */
async function measure(cmd: string, argv: string[], timeFile: string): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  await execa("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, cmd, ...argv]);
  const wall = (performance.now() - t0) / 1000;
  const [user, sys] = (await readFile(timeFile, "utf8")).trim().split(/\s+/).map(Number);
  return { wall, cpu: user! + sys! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "gb-bench-install-"));
  try {
    const wheels = await makeSet(join(work, "wheels"));
    const bytes = (await Promise.all(wheels.map((w) => stat(w)))).reduce((n, s) => n + s.size, 0);
    const version = (await execa(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])).stdout.trim();
    const jobs = availableParallelism();
    const node = process.execPath;
    // The same start-up as `bundle` itself (bin/bundle.js enables V8's compile cache).
    // The same start-up as `bundle` itself: bin/bundle.js enables V8's compile cache, then
    // imports the sources (dynamic imports: static ones would load before the cache is on).
    const gbScript = `import module from "node:module";
module.enableCompileCache?.();
const { installWheels } = await import(${JSON.stringify(new URL("../src/python/install.ts", import.meta.url).href)});
const { makeTarget } = await import(${JSON.stringify(new URL("../src/python/target.ts", import.meta.url).href)});
const [root, ...ws] = process.argv.slice(2);
await installWheels(ws.map((p) => ({ path: p, filename: p.split("/").pop() })), { root, target: makeTarget("linux-x64", ${JSON.stringify(version)}) });`;
    const gbFile = join(work, "install.mjs");
    await writeFile(gbFile, gbScript);
    const pipArgs = ["-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--disable-pip-version-check", "-q"];
    const tools: [string, string, string[]][] = [
      ["greenbundle installWheels (node process)", node, [gbFile, "OUT", ...wheels]],
      ["pip install --target (compiles .pyc, its default)", python, [...pipArgs, "--target", "OUT", ...wheels]],
      ["pip install --target --no-compile", python, [...pipArgs, "--no-compile", "--target", "OUT", ...wheels]],
      [`unzip, ${jobs} in parallel (no checks, no scripts)`, "sh", ["-c", `printf '%s\\n' "$@" | xargs -P ${jobs} -I{} unzip -qo {} -d "$0"`, "OUT", ...wheels]],
    ];
    // Rounds interleave the tools, so that a busy moment of a shared machine hits all of them;
    // CPU seconds (user + system, from GNU time) are reported beside wall time because they depend
    // much less on what else the machine is doing.
    const wall = tools.map(() => [] as number[]);
    const cpu = tools.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      for (const [t, [, cmd, argv]] of tools.entries()) {
        const out = join(work, `out-${t}-${i}`);
        await mkdir(out, { recursive: true });
        const m = await measure(cmd, argv.map((a) => (a === "OUT" ? out : a)), join(work, "time.txt"));
        wall[t]!.push(m.wall);
        cpu[t]!.push(m.cpu);
        // Outputs stay until the end: creating files right after deleting thousands makes ext4
        // search for inodes that were not recently freed, which would land on whoever runs next.
        await execa("sync");
      }
    }
    const results = tools.map(([tool], t) => ({ tool, wall: median(wall[t]!), cpu: median(cpu[t]!) }));
    const gb = results[0]!;
    console.log(`\n${wheels.length} wheels, ${(bytes / 1048576).toFixed(1)} MiB of wheels, Python ${version}, ${jobs} CPUs, median of ${runs} runs\n`);
    console.log("| tool | wall s | vs greenbundle | CPU s (user+sys) | vs greenbundle |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const r of results) console.log(`| ${r.tool} | ${r.wall.toFixed(2)} | ${(r.wall / gb.wall).toFixed(2)}× | ${r.cpu.toFixed(2)} | ${(r.cpu / gb.cpu).toFixed(2)}× |`);
  } finally {
    if (!keep) await rm(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

await main();
