// Shipped bytecode: every .py of the runtime, site-packages and the repositories compiled at build
// time as unchecked-hash pycs (PEP 552 flags 0b01), byte-identical from two builds, a clean
// `git status` in the checkouts, `package.bytecode: false` honoured, and a cross-build that never
// runs the target's interpreter (a host one of the same minor version, or none and a warning).
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildOptions, type BuildResult } from "../../src/assemble/build.ts";
import { collector } from "../../src/core/events.ts";
import { chooseCompiler, compileBytecode } from "../../src/python/bytecode.ts";
import { makeTarget } from "../../src/python/target.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

let world: World;
let tmp: string;
let cache: string;
let a: BuildResult;
let b: BuildResult;

const build = (over: Partial<BuildOptions> & { outDir: string }) => buildBundle({ recipe: world.recipe, cacheDir: cache, launcher: false, builderVersion: "test", ...over });

async function files(dir: string, pick: (rel: string) => boolean, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p, pick, base)));
    else if (pick(relative(base, p))) out.push(relative(base, p));
  }
  return out.sort();
}
const pycs = (dir: string) => files(dir, (r) => r.endsWith(".pyc"));

beforeAll(async () => {
  tmp = await tempDir("gb-bytecode-");
  world = await makeWorld(tmp);
  cache = join(tmp, "cache");
  a = await build({ outDir: join(tmp, "a") });
  b = await build({ outDir: join(tmp, "b") });
}, 300_000);
afterAll(async () => world?.close());

describe("shipped bytecode", () => {
  const minor = () => world.pythonVersion.split(".").slice(0, 2).join("");

  it("compiles every .py of the standard library, site-packages and the repositories", async () => {
    const all = await pycs(a.bundleDir);
    const tag = `cpython-${minor()}`;
    const lib = `python/lib/python${world.pythonVersion.split(".").slice(0, 2).join(".")}`;
    expect(all).toContain(`${lib}/json/__pycache__/__init__.${tag}.pyc`);
    expect(all).toContain(`${lib}/site-packages/demo_pkg/__pycache__/__init__.${tag}.pyc`);
    expect(all).toContain(`app/__pycache__/app.${tag}.pyc`);
    expect(all).toContain(`app/repositories/helper/__pycache__/helper.${tag}.pyc`);
    // one pyc for each source of the compiled folders (the fixture sources are all valid Python)
    const sources = await files(a.bundleDir, (r) => r.endsWith(".py") && (r.startsWith("python/") || r.startsWith("app/")));
    expect(a.bytecode.failed).toEqual([]);
    expect(all.length).toBe(sources.length);
    expect(a.bytecode.compiled).toBe(sources.length);
    expect(a.bundleJson.builder.bytecode).toEqual({ python: world.pythonVersion, interpreter: "bundle", files: sources.length });
  });

  it("writes unchecked-hash pycs (PEP 552 flags 0b01) with the interpreter's magic number", async () => {
    const magic = (await execa("python3", ["-c", "import importlib.util,sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"])).stdout;
    for (const rel of await pycs(a.bundleDir)) {
      const head = (await readFile(join(a.bundleDir, rel))).subarray(0, 8);
      expect(head.subarray(0, 4).toString("hex"), rel).toBe(magic);
      expect(head.readUInt32LE(4), rel).toBe(0b01);
    }
  });

  it("is byte-identical from two builds into different folders", async () => {
    const one = await pycs(a.bundleDir);
    expect(await pycs(b.bundleDir)).toEqual(one);
    for (const rel of one) expect((await readFile(join(b.bundleDir, rel))).equals(await readFile(join(a.bundleDir, rel))), rel).toBe(true);
    // no trace of the partial folder the first build compiled in
    const pyc = await readFile(join(a.bundleDir, "app", "__pycache__", `app.cpython-${minor()}.pyc`));
    expect(pyc.includes(Buffer.from(tmp))).toBe(false);
    expect(pyc.includes(Buffer.from("app/app.py"))).toBe(true);
  });

  it("keeps the checkouts' git status clean (__pycache__/ in info/exclude)", async () => {
    const status = await execa("git", ["--no-optional-locks", "-C", join(a.bundleDir, "app"), "status", "--porcelain", "--untracked-files=all"]);
    expect(status.stdout.trim()).toBe("");
    expect(await readFile(join(a.bundleDir, "app", ".git", "info", "exclude"), "utf8")).toContain("\n__pycache__/\n");
  });

  it("ships no bytecode with package.bytecode: false", async () => {
    const recipe = join(world.dir, "recipe", "no-bytecode.yml");
    await writeFile(recipe, "recipe: 1\nextends: world.yml\npackage:\n  bytecode: false\n");
    const r = await buildBundle({ recipe, cacheDir: cache, outDir: join(tmp, "off"), launcher: false, builderVersion: "test" });
    expect(r.bytecode.skipped).toBe("package.bytecode is false");
    expect(await pycs(r.bundleDir)).toEqual([]);
    expect(r.bundleJson.builder.bytecode).toBeUndefined();
  });

  it("cross-building for Windows without a host Python of the target's minor version: a warning, no bytecode", async () => {
    // The win-x64 world pins Python 3.10; a PATH with no interpreter at all stands for a machine without one.
    const empty = join(tmp, "no-python");
    await mkdir(empty, { recursive: true });
    const c = collector();
    const r = await buildBundle({ recipe: world.winRecipe, cacheDir: cache, outDir: join(tmp, "win"), launcher: false, builderVersion: "test", emit: c.emit, env: { PATH: empty } });
    expect(r.bytecode.skipped).toMatch(/no Python 3\.10 on this machine/);
    expect(r.warnings.join("\n")).toMatch(/no bytecode shipped: no Python 3\.10 .*BUNDLE_HOST_PYTHON|no bytecode shipped: no Python 3\.10/s);
    expect(await pycs(r.bundleDir)).toEqual([]);
  });
});

describe("the compiler of a cross-build", () => {
  it("is a host interpreter of the target's minor version, never the target's own", async () => {
    const [host, exe] = (await execa("python3", ["-c", "import os, sys; print('%d.%d.%d' % sys.version_info[:3]); print(os.path.realpath(sys.executable))"])).stdout.trim().split("\n") as [string, string];
    const root = await tempDir("gb-bytecode-cross-");
    // a Windows tree whose python.exe cannot run here
    await mkdir(join(root, "python", "Lib", "site-packages", "pkg"), { recursive: true });
    await writeFile(join(root, "python", "python.exe"), "MZ not runnable here");
    await writeFile(join(root, "python", "Lib", "site-packages", "pkg", "__init__.py"), "X = 1\n");
    await writeFile(join(root, "python", "Lib", "site-packages", "pkg", "bad.py"), "def (:\n");
    const c = await chooseCompiler({ root, target: makeTarget("win-x64", host) });
    expect(c?.interpreter).toBe("host");
    expect(c?.version).toBe(host);
    const r = await compileBytecode({ root, dirs: ["python"], compiler: c! });
    expect(r.compiled).toBe(1);
    expect(r.failed).toEqual(["python/Lib/site-packages/pkg/bad.py"]);
    const tag = `cpython-${host.split(".").slice(0, 2).join("")}`;
    expect(await pycs(root)).toEqual([`python/Lib/site-packages/pkg/__pycache__/__init__.${tag}.pyc`]);
    // $BUNDLE_HOST_PYTHON of another minor version is passed over, and with nothing else on PATH there is none
    expect(await chooseCompiler({ root, target: makeTarget("win-x64", "3.10.6"), env: { PATH: join(root, "none"), BUNDLE_HOST_PYTHON: exe } })).toBeUndefined();
  });
});
