// Several processes on one cache, and --offline with a partial cache.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fetchOne } from "../../src/fetch/index.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, options, server, writeRecipe } from "./helpers.ts";

const PY = file(3_000_000, 51);
const NODE = file(2_500_000, 52);
const M1 = file(4_000_000, 53);
const M2 = file(1_500_000, 54);
const ALL = { "/m/python.tar.gz": PY, "/m/node.tar.gz": NODE, "/m/m1.bin": M1, "/m/m2.bin": M2 };

async function world() {
  const dir = await tempDir();
  const s = await server({ files: ALL, throttle: { perConnection: 6_000_000 } });
  const recipe = await writeRecipe(dir, [`${s.url}/m`], {
    python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: PY.sha256 },
    node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: NODE.sha256, size: NODE.size },
    files: [
      { path: "app/m1.bin", urls: ["mirror://m/m1.bin"], sha256: M1.sha256, size: M1.size },
      { path: "app/m2.bin", urls: ["mirror://m/m2.bin"], sha256: M2.sha256 },
    ],
  });
  return { dir, s, recipe, cacheDir: join(dir, "cache") };
}

function bundle(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ["bin/bundle.js", ...args], { env: { PATH: process.env.PATH ?? "" } });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    c.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("one cache, several processes", () => {
  it("two bundle fetch processes on the same cache both succeed and download each file once", async () => {
    const w = await world();
    const [a, b] = await Promise.all([bundle(["fetch", w.recipe, "--cache", w.cacheDir]), bundle(["fetch", w.recipe, "--cache", w.cacheDir])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    for (const [path, body] of Object.entries(ALL)) expect(w.s.stats.bytes[path], path).toBe(body.size);
    expect(a.stdout + b.stdout).toMatch(/fetched 4 artifact/);
    const blobs = (await readdir(join(w.cacheDir, "content-v1"), { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
    expect(blobs).toHaveLength(4);
    expect(await readdir(join(w.cacheDir, "tmp", "locks"))).toEqual([]);
  });
});

describe("--offline", () => {
  it("uses what the cache has and lists everything missing in one error, without touching the network", async () => {
    const w = await world();
    await fetchOne({ id: "python", urls: [`${w.s.url}/m/python.tar.gz`], sha256: PY.sha256 }, options(w.cacheDir));
    w.s.stats.reset();
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, "--offline"], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: --offline: 3 of 4 artifact\(s\) are not in the cache/);
    for (const id of ["node", "file:app/m1.bin", "file:app/m2.bin"]) expect(r.stderr).toContain(`  ${id}: sha256 `);
    expect(r.stderr).not.toMatch(/^ {2}python:/m);
    expect(r.stderr).toMatch(/hint: run `bundle fetch <recipe>` once with network access/);
    expect(w.s.stats.requests).toEqual([]);
  });

  it("succeeds offline once everything is cached", async () => {
    const w = await world();
    expect((await runCli(["fetch", w.recipe, "--cache", w.cacheDir], { env: {} })).code).toBe(0);
    w.s.stats.reset();
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, "--offline", "--json"], { env: {} });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ downloaded: 0, bytes: 0 });
    expect(w.s.stats.requests).toEqual([]);
  });
});
