// Warm rebuilds from kept trees: a rebuild with everything cached starts no git and no Python
// (a PATH shim logs every start), links every kept tree, and writes a byte-identical archive; a
// changed wheel re-installs that wheel only; `bundle cache ls/verify/gc` know the kept trees.
import { chmod, mkdir, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildOptions, type BuildResult } from "../../src/assemble/build.ts";
import { listKept } from "../../src/cache/kept.ts";
import { makeWheel } from "../../src/demo/wheels.ts";
import type { LockFile } from "../../src/python/lockfile.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

let world: World;
let tmp: string;
let cache: string;
let shims: string;
let log: string;
let cold: BuildResult;
let coldStarts: string[];

const build = (over: Partial<BuildOptions> & { outDir: string }) => buildBundle({ recipe: world.recipe, cacheDir: cache, launcher: false, builderVersion: "test", format: "zip", ...over });

/** Runs `fn` with the shims first on PATH; returns what it started. */
async function watched<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  await writeFile(log, "");
  const path = process.env.PATH;
  process.env.PATH = `${shims}:${path}`;
  try {
    const r = await fn();
    return [r, (await readFile(log, "utf8")).split("\n").filter(Boolean)];
  } finally {
    process.env.PATH = path;
  }
}

beforeAll(async () => {
  tmp = await tempDir("gb-kept-");
  world = await makeWorld(tmp);
  cache = join(tmp, "cache");
  shims = join(tmp, "shims");
  log = join(tmp, "started.log");
  await mkdir(shims);
  for (const name of ["git", "python3", "python", `python${world.pythonVersion.split(".").slice(0, 2).join(".")}`]) {
    const real = (await execa("sh", ["-c", `command -v ${name}`], { reject: false })).stdout.trim();
    if (!real) continue;
    await writeFile(join(shims, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\nexec "${real}" "$@"\n`);
    await chmod(join(shims, name), 0o755);
  }
  [cold, coldStarts] = await watched(() => build({ outDir: join(tmp, "cold") }));
}, 300_000);
afterAll(async () => world?.close());

describe("a warm rebuild", () => {
  it("makes every kept tree on a cold build (and the shims see git and Python started)", () => {
    expect(cold.kept.made).toEqual(expect.arrayContaining([expect.stringMatching(/^runtime /), expect.stringMatching(/^demo_pkg-1\.0-/), "app", "app/repositories/helper", "app/extensions/ext-demo"]));
    expect(coldStarts.some((l) => l.startsWith("git "))).toBe(true);
  });

  it("starts no git and no Python, makes no kept tree, and writes a byte-identical archive", async () => {
    const [warm, started] = await watched(() => build({ outDir: join(tmp, "warm") }));
    expect(started).toEqual([]);
    expect(warm.kept.made).toEqual([]);
    expect(warm.kept.linked).toBe(cold.kept.made.length);
    expect(warm.downloaded).toBe(0);
    expect(warm.archives[0]!.files[0]!.sha256).toBe(cold.archives[0]!.files[0]!.sha256);
    expect((await readFile(warm.archives[0]!.files[0]!.path)).equals(await readFile(cold.archives[0]!.files[0]!.path))).toBe(true);
    // the bytecode is reported from the kept trees as it was when they were made
    expect(warm.bundleJson.builder.bytecode).toEqual(cold.bundleJson.builder.bytecode);
  });

  it("re-installs only the wheel that changed", async () => {
    // A recipe of two wheels; its pin and lock are rewritten between the builds: other-pkg 1.0, then 1.1.
    const recipe = join(world.dir, "recipe", "two.yml");
    await writeFile(recipe, "recipe: 1\nextends: world.yml\nwheels:\n  requirements: two.requirements.txt\n  lock: two.lock.json\n");
    const lockOf = async (version: string): Promise<void> => {
      const w = await makeWheel({ name: "other-pkg", version, files: { "other_pkg/__init__.py": `V = "${version}"\n` }, license: "MIT" });
      world.files.setFile(`/simple/other-pkg/${w.filename}`, w.data);
      const base = JSON.parse(await readFile(join(world.dir, "recipe", "world.lock.json"), "utf8")) as LockFile;
      const wheels = base.platforms["linux-x64"]!.wheels;
      const lock: LockFile = { ...base, recipe: "two.yml", platforms: { "linux-x64": { artifacts: {}, wheels: [...wheels, { name: "other-pkg", version, filename: w.filename, sha256: w.sha256, size: w.size, index: "pypi", path: w.filename }] } } };
      await writeFile(join(world.dir, "recipe", "two.lock.json"), JSON.stringify(lock, null, 2));
      await writeFile(join(world.dir, "recipe", "two.requirements.txt"), `demo-pkg==1.0\nother-pkg==${version}\n`);
    };
    await lockOf("1.0");
    const one = await build({ recipe, outDir: join(tmp, "w1"), format: "dir" });
    expect(one.kept.made).toEqual([expect.stringMatching(/^other_pkg-1\.0-/)]);
    await lockOf("1.1");
    const [two, started] = await watched(() => build({ recipe, outDir: join(tmp, "w2"), format: "dir" }));
    expect(two.kept.made).toEqual([expect.stringMatching(/^other_pkg-1\.1-/)]);
    expect(started.filter((l) => l.startsWith("git "))).toEqual([]);
    const site = join(two.bundleDir, "python", "lib", `python${world.pythonVersion.split(".").slice(0, 2).join(".")}`, "site-packages");
    expect(await readFile(join(site, "other_pkg", "__init__.py"), "utf8")).toBe('V = "1.1"\n');
    expect((await readdir(site)).filter((n) => n.startsWith("other_pkg-"))).toEqual(["other_pkg-1.1.dist-info"]);
  });
});

describe("bundle cache ls / verify / gc over kept trees", () => {
  it("lists the kept trees with their size", async () => {
    const r = await runCli(["cache", "ls", "--cache", cache, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { kept: { key: string; files: number; size: number }[] };
    expect(out.kept.map((k) => k.key)).toEqual(expect.arrayContaining([expect.stringMatching(/^python-runtime:v1:/), expect.stringMatching(/^python-wheel:v1:/), expect.stringMatching(/^repo:v1:/)]));
    expect(out.kept.every((k) => k.files > 0 && k.size > 0)).toBe(true);
  });

  it("verify finds a tampered kept tree and removes it; the next build makes it again", async () => {
    const kept = await listKept(cache);
    const app = kept.find((k) => k.record?.key.startsWith("repo:v1:") && k.record.key.includes(":app:"))!;
    const file = join(app.dir, "tree", "app", "app.py");
    await chmod(file, 0o644);
    await writeFile(file, "print('tampered')\n");
    const r = await runCli(["cache", "verify", "--cache", cache, "--json"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/kept tree repo:v1:.*app\/app\.py: content changed/);
    expect((await listKept(cache)).some((k) => k.dir === app.dir)).toBe(false);
    const again = await build({ outDir: join(tmp, "after-verify"), format: "dir" });
    expect(again.kept.made).toEqual(["app"]);
    expect(await readFile(join(again.bundleDir, "app", "app.py"), "utf8")).toBe("print('app v1')\n");
  });

  it("gc frees every kept tree with --older-than 0 and what a killed build left half-made a day ago, and a build then makes them again", async () => {
    // a killed build's unfinished tree, with a read-only file in it, from two days ago
    const left = join(cache, "tmp", "kept", "make-killed");
    await mkdir(join(left, "tree"), { recursive: true });
    await writeFile(join(left, "tree", "x.py"), "X = 1\n", { mode: 0o444 });
    const old = new Date(Date.now() - 2 * 86_400_000);
    await utimes(left, old, old);
    const fresh = join(cache, "tmp", "kept", "make-running");
    await mkdir(fresh, { recursive: true });
    const r = await runCli(["cache", "gc", "--older-than", "0", "--cache", cache]);
    expect(r.code, r.stderr).toBe(0);
    expect(await listKept(cache)).toEqual([]);
    expect(await readdir(join(cache, "tmp", "kept"))).toEqual(["make-running"]);
    const again = await build({ outDir: join(tmp, "after-gc"), format: "dir" });
    expect(again.kept.made.length).toBe(cold.kept.made.length);
    await rm(again.bundleDir, { recursive: true, force: true });
  });
});
