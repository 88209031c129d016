// `bundle fetch` brings in everything `bundle build` needs, so that `build --offline` makes no
// network request at all — here for the hard case: a win-x64 bundle built on this linux-x64 machine
// (its launcher's SEA blob is written by the recipe's linux-x64 Node, since greenbundle runs on
// another Node version) with a package built from an sdist with a pinned build requirement. The
// lock is made with another cache, as on a maintainer's machine, so the fetch cannot lean on it.
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPypiServer, type PypiServer } from "../../src/demo/pypi-server.ts";
import { makeWheel } from "../../src/demo/wheels.ts";
import { hostPlatform } from "../../src/core/platform.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { nodeArchive } from "../launcher/node-dist.ts";
import { BACKEND_WHEEL, makeSdist } from "../python/sdist-fixture.ts";
import { makeWorld, type World } from "./world.ts";

// A version the npm registry has for both platforms; greenbundle itself runs on another one.
const NODE = "24.21.0";
const crossBuild = hostPlatform() === "linux-x64" && process.version !== `v${NODE}`;

describe.skipIf(!crossBuild)("bundle fetch, then bundle build --offline of a cross-built win-x64 bundle with an sdist (needs a linux-x64 host)", () => {
  let tmp: string;
  let world: World | undefined;
  let index: PypiServer | undefined;
  let recipe: string;

  beforeAll(async () => {
    tmp = await tempDir("gb-offline-");
    world = await makeWorld(tmp, { nodeVersion: NODE, nodeArchive: await readFile(await nodeArchive("linux", NODE)), winNodeArchive: await readFile(await nodeArchive("win", NODE)) });
    const backend = await makeWheel(BACKEND_WHEEL);
    const demo = await makeWheel({ name: "demo-pkg", version: "1.0", files: { "demo_pkg/__init__.py": "VALUE = 42\n" }, license: "MIT" });
    index = await startPypiServer({ files: [backend, demo].map((w) => ({ filename: w.filename, data: w.data })) });
    const sdist = await makeSdist(join(tmp, "sdist"), "srcpkg", {});
    world.files.setFile(`/sdist/${sdist.filename}`, await readFile(sdist.path));
    const win = await readFile(world.winRecipe, "utf8");
    const wheels = ["wheels:", "  indexes: [pypi]", "  requirements: world.requirements.txt", "  lock: win.lock.json", ""].join("\n");
    expect(win).toContain(wheels);
    const text = win
      .replace("name: world\n", "name: world-offline\n")
      .replace("mirrors:\n", `mirrors:\n  index: [${index.simple}]\n`)
      .replace(wheels, [
        "wheels:",
        "  indexes: [index]",
        "  requirements: offline.requirements.txt",
        "  lock: offline.lock.json",
        "  build_requires: [gb-backend==1.0]",
        "  packages:",
        `    srcpkg: { sdist: mirror://files/sdist/${sdist.filename}, sha256: ${sdist.sha256} }`,
        "",
      ].join("\n"));
    recipe = join(tmp, "recipe", "offline.yml");
    await writeFile(join(tmp, "recipe", "offline.requirements.txt"), "demo-pkg==1.0\nsrcpkg==1.0\n");
    await writeFile(recipe, text);
    const locked = await runCli(["lock", recipe, "--cache", join(tmp, "maintainer-cache")]);
    expect(locked.stderr).not.toMatch(/^error/m);
    expect(locked.code).toBe(0);
  }, 600_000);
  afterAll(async () => {
    await Promise.all([world?.close(), index?.close()]);
  });

  it("fetches the build requirement and this machine's Node with everything else, then builds with zero requests to any server", async () => {
    const cache = join(tmp, "ci-cache");
    const fetched = await runCli(["fetch", recipe, "--cache", cache, "--json"]);
    expect(fetched.code).toBe(0);
    const ids = (JSON.parse(fetched.stdout) as { artifacts: { id: string }[] }).artifacts.map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining(["python", "git", "node", "node:host", "sdist:srcpkg", "build:gb-backend", "wheel:demo-pkg", "file:app/models/model.bin"]));

    const w = world!;
    const seen = () => ({ files: w.files.stats.requests.length, index: index!.requests.length, git: w.m1.fetches() + w.m2.fetches() + w.m1.log.length + w.m2.log.length });
    const before = seen();
    const out = join(tmp, "dist");
    const built = await runCli(["build", recipe, "--offline", "--cache", cache, "--out", out, "--json"]);
    expect(built.stderr).not.toMatch(/^error/m);
    expect(built.code).toBe(0);
    expect(seen()).toEqual(before);

    const dir = join(out, "world-offline-1.0.0-win-x64");
    expect((await stat(join(dir, "launcher.exe"))).size).toBeGreaterThan(1 << 20);
    expect(await readdir(join(dir, "python", "Lib", "site-packages"))).toEqual(expect.arrayContaining(["srcpkg", "demo_pkg"]));
    const bj = JSON.parse(await readFile(join(dir, "bundle.json"), "utf8")) as { components: { kind: string; name: string; url?: string }[] };
    expect(bj.components.find((c) => c.kind === "wheel" && c.name === "srcpkg")!.url).toMatch(/\/sdist\/srcpkg-1\.0\.tar\.gz$/);
    // what only the build used is not part of the bill of materials
    expect(bj.components.filter((c) => c.kind === "node").map((c) => c.url)).toEqual([expect.stringMatching(/node-v24\.21\.0-win-x64\.zip$/)]);
    expect(bj.components.some((c) => c.name === "gb-backend")).toBe(false);
  }, 600_000);
});
