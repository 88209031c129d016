// Benchmark (not a test): warm rebuilds and first launches of the demo bundle.
//
//   node bench/rebuild.ts [--runs N]
//
// 1. Warm rebuild: the demo bundle is built once (cold cache, timed too), then rebuilt N times
//    into a fresh folder with everything cached; beside it, `cp -r` of the finished bundle folder
//    (what "disk speed" means here) plus the packing time. Goal: rebuild ≤ 1.5 × cp -r + packing.
// 2. First launch to ready: a fresh copy of the bundle built with bytecode (the default) and one
//    built with `package.bytecode: false`, each started with its launcher until the app's ready URL
//    answers, with the new .pyc files the launch wrote counted. Each tool runs as its own process.

import { execFileSync, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle, type BuildResult } from "../src/assemble/build.ts";
import type { BundleEvent } from "../src/core/events.ts";
import { thisHost } from "../src/core/platform.ts";
import { demoRecipeOf, startDemoWorld, writeDemoRecipe } from "../src/demo/world.ts";
import { lockRecipe } from "../src/lock/lock.ts";
import { loadRecipe } from "../src/recipe/load.ts";

const args = process.argv.slice(2);
const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => (ms / 1000).toFixed(2);

const work = await mkdtemp(join(tmpdir(), "gb-bench-rebuild-"));
const cache = join(work, "cache");
const env = { ...process.env };
delete env.PYTHONDONTWRITEBYTECODE; // a first launch as an end user's machine makes it
const world = await startDemoWorld({ dir: join(work, "world") });
try {
  const recipe = await writeDemoRecipe(world, join(work, "recipe"), demoRecipeOf("a1111"), "a1111");
  await lockRecipe({ loaded: await loadRecipe(recipe), cacheDir: cache });
  const build = async (out: string, file = recipe): Promise<{ r: BuildResult; ms: number; stages: Record<string, number> }> => {
    const stages: Record<string, number> = {};
    const emit = (e: BundleEvent) => {
      if (e.type === "stage" && e.status === "done" && e.ms !== undefined) stages[e.stage] = e.ms;
    };
    const t = performance.now();
    const r = await buildBundle({ recipe: file, cacheDir: cache, outDir: join(work, out), format: "zip", locked: true, builderVersion: "bench", host: thisHost(), emit, env });
    return { r, ms: performance.now() - t, stages };
  };

  // 1. warm rebuilds
  const cold = await build("cold");
  const warm: { ms: number; stages: Record<string, number> }[] = [];
  const copies: number[] = [];
  for (let i = 0; i < runs; i++) {
    warm.push(await build(`warm-${i}`));
    const t = performance.now();
    execFileSync("cp", ["-r", cold.r.bundleDir, join(work, `copy-${i}`)]);
    copies.push(performance.now() - t);
  }
  const w = median(warm.map((x) => x.ms));
  const pack = median(warm.map((x) => x.stages.pack ?? 0));
  const cpr = median(copies);
  const files = cold.r.bundleJson.files.length;
  const bytes = cold.r.bundleJson.files.reduce((n, f) => n + f.size, 0);
  console.log(`demo bundle: ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB; median of ${runs}; load average ${loadavg()[0]!.toFixed(2)}\n`);
  console.log("| build | wall s | of which packing s | without packing s | cp -r of the folder s | (build − packing) / cp -r |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  console.log(`| cold cache (one run) | ${s(cold.ms)} | ${s(cold.stages.pack ?? 0)} | ${s(cold.ms - (cold.stages.pack ?? 0))} | ${s(cpr)} | ${((cold.ms - (cold.stages.pack ?? 0)) / cpr).toFixed(2)}× |`);
  console.log(`| warm (everything cached) | ${s(w)} | ${s(pack)} | ${s(w - pack)} | ${s(cpr)} | ${((w - pack) / cpr).toFixed(2)}× |`);
  const last = warm[warm.length - 1]!.stages;
  console.log(`\nwarm rebuild stages (last run): ${Object.entries(last).map(([k, v]) => `${k} ${s(v)}`).join(" · ")}`);

  // 2. first launch, with and without bytecode
  const noBytecode = join(work, "recipe", "demo-no-bytecode.yml");
  await writeFile(noBytecode, `recipe: 1\nextends: ${recipe.split("/").pop()}\npackage:\n  bytecode: false\n  formats: [dir]\n`);
  const off = await build("off", noBytecode);
  const readyPath = cold.r.bundleJson.launcher.ready ?? "/";
  console.log("\n| first launch to ready | ready s | new .pyc files written |");
  console.log("| --- | ---: | ---: |");
  for (const [label, dir] of [["with bytecode (default)", cold.r.bundleDir], ["package.bytecode: false", off.r.bundleDir]] as const) {
    const times: number[] = [];
    let written = 0;
    for (let i = 0; i < runs; i++) {
      const copy = join(work, `launch-${label.length}-${i}`);
      await cp(dir, copy, { recursive: true, verbatimSymlinks: true });
      const before = await pycCount(copy);
      times.push(await timeToReady(join(copy, cold.r.bundleJson.launcher.name), copy, readyPath));
      written = (await pycCount(copy)) - before;
      await rm(copy, { recursive: true, force: true });
    }
    console.log(`| ${label} | ${s(median(times))} | ${written} |`);
  }
} finally {
  await world.close();
  await rm(work, { recursive: true, force: true });
}

async function pycCount(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith(".pyc")) n++;
  return n;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the launcher, polls the ready path, stops the process group; ms from start to the first answer. */
async function timeToReady(launcher: string, cwd: string, path: string): Promise<number> {
  const port = await freePort();
  const t = performance.now();
  const child = spawn(launcher, ["--no-browser", "--port", String(port)], { cwd, env, stdio: "ignore", detached: true });
  try {
    for (;;) {
      if (performance.now() - t > 120_000) throw new Error(`${launcher} was not ready in 120 s`);
      const ok = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.status < 500, () => false);
      if (ok) return performance.now() - t;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* gone already */
    }
  }
}
