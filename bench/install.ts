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
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { bulkWheelSpec, writeWheel } from "../src/demo/wheels.ts";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 3;
const keep = args.includes("--keep");
const python = process.env.BUNDLE_HOST_PYTHON ?? "python3";

async function makeSet(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < 10; i++) paths.push((await writeWheel(dir, bulkWheelSpec(`bulk-lib-${i}`, { files: 800, avgSize: 6000, seed: i + 1 }))).path);
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

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
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
    const gbScript = `import { installWheels } from ${JSON.stringify(new URL("../src/python/install.ts", import.meta.url).pathname)};
import { makeTarget } from ${JSON.stringify(new URL("../src/python/target.ts", import.meta.url).pathname)};
const [root, ...ws] = process.argv.slice(2);
await installWheels(ws.map((p) => ({ path: p, filename: p.split("/").pop() })), { root, target: makeTarget("linux-x64", ${JSON.stringify(version)}) });`;
    const gbFile = join(work, "install.mjs");
    await writeFile(gbFile, gbScript);
    const tools: [string, (out: string) => Promise<unknown>][] = [
      ["greenbundle installWheels (node process)", (out) => execa(node, [gbFile, out, ...wheels])],
      ["pip install --target (compiles .pyc, its default)", (out) => execa(python, ["-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--disable-pip-version-check", "-q", "--target", out, ...wheels])],
      ["pip install --target --no-compile", (out) => execa(python, ["-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--disable-pip-version-check", "-q", "--no-compile", "--target", out, ...wheels])],
      [`unzip, ${jobs} in parallel (no checks, no scripts)`, (out) => execa("sh", ["-c", `mkdir -p "$0" && printf '%s\\n' "$@" | xargs -P ${jobs} -I{} unzip -qo {} -d "$0"`, out, ...wheels])],
    ];
    // Rounds interleave the tools, so that a busy moment of a shared machine hits all of them.
    const times = tools.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      for (const [t, [, run]] of tools.entries()) {
        const out = join(work, `out-${t}-${i}`);
        await mkdir(out, { recursive: true });
        times[t]!.push(await time(() => run(out)));
        await rm(out, { recursive: true, force: true });
      }
    }
    const results = tools.map(([tool], t) => ({ tool, secs: median(times[t]!) }));
    const gb = results[0]!.secs;
    console.log(`\n${wheels.length} wheels, ${(bytes / 1048576).toFixed(1)} MiB of wheels, Python ${version}, ${jobs} CPUs, median of ${runs} runs\n`);
    console.log("| tool | seconds | vs greenbundle |");
    console.log("| --- | ---: | ---: |");
    for (const r of results) console.log(`| ${r.tool} | ${r.secs.toFixed(2)} | ${(r.secs / gb).toFixed(2)}× |`);
  } finally {
    if (!keep) await rm(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

await main();
