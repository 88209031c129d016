import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildResult } from "../../src/assemble/build.ts";
import { hashFile } from "../../src/integrity/sha256.ts";
import { nodeArchive } from "../launcher/node-dist.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

let world: World | undefined;
let built: BuildResult;
let tmp: string;

describe("a bundle with its launcher", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-launcher-");
    world = await makeWorld(tmp, { nodeArchive: await readFile(await nodeArchive("linux", "24.21.0")) });
    built = await buildBundle({ recipe: world.recipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist"), builderVersion: "test" });
  }, 600_000);
  afterAll(async () => world?.close());

  it("puts the launcher at the root, lists it as a component and as an executable in the manifest", async () => {
    const exe = join(built.bundleDir, "launcher");
    expect((await stat(exe)).mode & 0o100).not.toBe(0);
    const sha = (await hashFile(exe)).sha256;
    expect(built.bundleJson.components.find((c) => c.kind === "launcher")).toMatchObject({ name: "launcher", sha256: sha, dest: "launcher" });
    expect(built.bundleJson.components.find((c) => c.kind === "node")).toMatchObject({ version: "24.21.0", url: `${world!.files.url}/node/v24.21.0/node-v24.21.0-linux-x64.tar.gz` });
    expect(built.bundleJson.files.find((f) => f.path === "launcher")).toMatchObject({ sha256: sha, exec: true });
  });

  it("includes the licence of the Node.js runtime inside the launcher in the notices", async () => {
    const notices = await readFile(join(built.bundleDir, "THIRD-PARTY-NOTICES.txt"), "utf8");
    expect(notices).toContain("Node.js 24.21.0 (inside the launcher)");
    expect(built.bundleJson.components.find((c) => c.kind === "node")?.license).toBe("MIT");
  });

  it("takes the launcher from the cache when its inputs are the same, and builds it again when one changes", async () => {
    expect(built.launcherCached).toBe(false);
    const again = await buildBundle({ recipe: world!.recipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist-again"), builderVersion: "test" });
    expect(again.launcherCached).toBe(true);
    const exe = join(again.bundleDir, "launcher");
    expect((await stat(exe)).mode & 0o111).toBe(0o111);
    expect((await readFile(exe)).equals(await readFile(join(built.bundleDir, "launcher")))).toBe(true);
    expect((await execa(exe, ["--check"], { reject: false, env: { LANG: "C" } })).exitCode).toBe(0);
    // Another title is another version resource / another meta: built, not taken.
    const retitled = join(world!.dir, "recipe", "retitled.yml");
    await writeFile(retitled, "recipe: 1\nextends: world.yml\ntitle: Another title\n");
    const other = await buildBundle({ recipe: retitled, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist-other"), builderVersion: "test" });
    expect(other.launcherCached).toBe(false);
    // …and from then on that one is cached too, apart from the first.
    const otherAgain = await buildBundle({ recipe: retitled, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist-other-again"), builderVersion: "test" });
    expect(otherAgain.launcherCached).toBe(true);
    expect(otherAgain.bundleJson.components.find((c) => c.kind === "launcher")!.sha256).toBe(other.bundleJson.components.find((c) => c.kind === "launcher")!.sha256);
  }, 600_000);

  it("builds a launcher whose --check accepts the manifest bundle.json describes", async () => {
    const r = await execa(join(built.bundleDir, "launcher"), ["--check"], { reject: false, env: { LANG: "C" } });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });
});
