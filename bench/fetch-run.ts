// Runs greenbundle's fetch engine as its own process for the benchmark (as `bundle fetch` would)
// and prints how long the transfer itself took. Node's compile cache is enabled first (it keeps
// the type-stripped sources between runs): without it, stripping the TypeScript costs ~0.5 s at
// every start on this machine, which is not download speed.
// Usage: node bench/fetch-run.ts <cacheDir> <requests.json>

import { enableCompileCache } from "node:module";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FetchRequest } from "../src/fetch/index.ts";

enableCompileCache(join(tmpdir(), "greenbundle-bench-compile-cache"));
const { fetchAll } = await import("../src/fetch/index.ts");
const [cacheDir, reqFile] = process.argv.slice(2);
const reqs = JSON.parse(await readFile(reqFile!, "utf8")) as FetchRequest[];
// The warm-up run (no requests) loads the HTTP client too, so that the timed runs find it compiled.
if (!reqs.length) await Promise.all([import("../src/fetch/undici.ts").then((m) => m.undici()), import("p-retry")]);
const t0 = performance.now();
const got = await fetchAll(reqs, { cacheDir: cacheDir! });
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ files: got.size, ms }) + "\n");
process.exit(0);
