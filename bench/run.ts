// Runs the benchmarks one after the other, each in its own Node process so that none warms the
// next: `npm run bench` (all of them) or `npm run bench -- fetch pack` (some). Options after `--`
// (from the first `-` on) go to each benchmark, e.g. `npm run bench -- pack --runs 1`.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const all = ["fetch", "install", "pack", "pack7z", "launcher-start", "rebuild"] as const;
/** Run only when named: build-memory downloads 4 GiB and needs ~8 GiB of free disk. */
const byName = ["build-memory"] as const;
const argv = process.argv.slice(2);
// Benchmark names first, then options: everything from the first `-` on goes to each benchmark.
const firstFlag = argv.findIndex((a) => a.startsWith("-"));
const names = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
const passed = firstFlag < 0 ? [] : argv.slice(firstFlag);
const unknown = names.filter((a) => ![...all, ...byName].includes(a as never));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(", ")}; choose from ${[...all, ...byName].join(", ")}`);
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const name of names.length ? names : all) {
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, [join(here, `${name}.ts`), ...passed], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`bench ${name} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
