// Benchmark (not a test): the launcher's own time before it spawns the app (it must stay well
// under 300 ms), for a small bundle and one with a bundle-sized manifest.
//
//   node bench/launcher-start.ts [--runs N] [--files N]
//
// Builds the linux-x64 launcher from the npm Node binary (as the tests do), runs it against the
// test fixture bundle, and reads what it logs: time from process start to the spawn, split into
// Node's own bootstrap and the launcher's work, and when the quick manifest check (which runs
// while the app starts) finished; and the wall time of `launcher --version`, which reads
// bundle.json and exits.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { buildLauncher } from "../src/launcher/index.ts";
import { makeFixtureBundle } from "../test/launcher/fixture.ts";
import { NODE_VERSION, nodeArchive } from "../test/launcher/node-dist.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const runs = opt("--runs", 7);
const manyFiles = opt("--files", 40000);

interface Sample {
  total: number;
  boot: number;
  own: number;
  check: number;
  /** Wall time of `launcher --version` (reads bundle.json's head, prints, exits), ms. */
  version: number;
}

function runOnce(root: string): Sample {
  rmSync(join(root, "logs"), { recursive: true, force: true });
  const env = { ...process.env, FIXTURE_PIDS: join(root, "..", "pids.json"), FIXTURE_FAIL: "exit at once", LANG: "C.UTF-8" };
  spawnSync(join(root, "launcher"), ["--no-browser"], { env, stdio: "ignore" });
  const logs = readdirSync(join(root, "logs"));
  const log = readFileSync(join(root, "logs", logs[0]!), "utf8");
  const m = /startup-ms: ([\d.]+) \(node bootstrap ([\d.]+), launcher ([\d.]+)\)/.exec(log);
  const c = /quick check: .* at (\d+) ms/.exec(log);
  if (!m) throw new Error(`no startup line in the log:\n${log}`);
  const t = performance.now();
  const v = spawnSync(join(root, "launcher"), ["--version"], { env, encoding: "utf8" });
  const version = performance.now() - t;
  if (v.status !== 0) throw new Error(`launcher --version failed: ${v.stderr}`);
  return { total: Number(m[1]), boot: Number(m[2]), own: Number(m[3]), check: c ? Number(c[1]) : NaN, version };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bundleWith(root: string, files: number, launcher: string, port: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const dir = join(root, "python", "lib", `pkg${i % 400}`, `sub${i % 10}`);
    if (i < 4000) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `m${i}.py`), `x = ${i}\n`);
  }
  await makeFixtureBundle(root, { port });
  writeFileSync(join(root, "launcher"), readFileSync(launcher), { mode: 0o755 });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "gb-bench-launcher-"));
  try {
    const exe = join(work, "launcher");
    process.stderr.write("building the launcher...\n");
    const meta = { title: "Bench", version: "1.0", name: "launcher" };
    await buildLauncher({ platform: "linux-x64", nodeArchive: await nodeArchive("linux", NODE_VERSION), nodeVersion: NODE_VERSION, out: exe, meta, workDir: join(work, "w") });
    const rows: [string, Sample[]][] = [];
    for (const [label, files] of [["fixture (5 files)", 0], [`${manyFiles} files`, manyFiles]] as const) {
      const root = join(work, `b${files}`, "整合包 bench");
      await bundleWith(root, files, exe, 17000 + files % 1000);
      runOnce(root); // warm the page cache
      rows.push([label, Array.from({ length: runs }, () => runOnce(root))]);
    }
    console.log(`\n${availableParallelism()} cores; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; Node ${NODE_VERSION}; median of ${runs} runs (ms from process start)\n`);
    console.log("| bundle | to spawn | Node bootstrap | launcher's own work | quick check done | `--version` (wall) |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const [label, s] of rows) {
      console.log(`| ${label} | ${median(s.map((x) => x.total)).toFixed(0)} | ${median(s.map((x) => x.boot)).toFixed(0)} | ${median(s.map((x) => x.own)).toFixed(0)} | ${median(s.map((x) => x.check)).toFixed(0)} | ${median(s.map((x) => x.version)).toFixed(0)} |`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
