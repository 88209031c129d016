// One command from a recipe to a bundle: `bundle build` and `bundle fetch` resolve a missing or
// stale lock as `bundle lock` would, write it, say so and go on; `--locked` refuses such a lock
// with exit 2 before anything is downloaded or written; `--offline` names what it cannot resolve.
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import type { BundleEvent } from "../../src/core/events.ts";
import type { LockFile } from "../../src/python/lockfile.ts";
import { makeWorld, type World } from "../build/world.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

let world: World;
let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("gb-autolock-");
  world = await makeWorld(join(tmp, "world"));
}, 120_000);
afterAll(async () => world?.close());

/** The world's recipe and requirements in a folder of their own, without a lock (or with `lock` written in). */
async function recipeCopy(name: string, edit: (yaml: string) => string = (y) => y, lock?: LockFile): Promise<{ dir: string; recipe: string; lockFile: string }> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "world.yml"), edit(await readFile(world.recipe, "utf8")));
  await copyFile(join(world.dir, "recipe", "world.requirements.txt"), join(dir, "world.requirements.txt"));
  if (lock) await writeFile(join(dir, "world.lock.json"), JSON.stringify(lock, null, 2));
  return { dir, recipe: join(dir, "world.yml"), lockFile: join(dir, "world.lock.json") };
}

const worldLock = async () => JSON.parse(await readFile(join(world.dir, "recipe", "world.lock.json"), "utf8")) as LockFile;
const exists = (p: string) => stat(p).then(() => true, () => false);

describe("bundle build on a recipe that was never locked", () => {
  it("resolves the lock, writes it, says so, and builds with it", async () => {
    const r = await recipeCopy("build-unlocked");
    const events: BundleEvent[] = [];
    const built = await buildBundle({ recipe: r.recipe, cacheDir: join(tmp, "cache"), outDir: join(r.dir, "dist"), launcher: false, builderVersion: "test", format: "dir", emit: (e) => void events.push(e) });
    expect(built.lock).toMatchObject({ action: "written", platforms: ["linux-x64"] });
    const lock = JSON.parse(await readFile(r.lockFile, "utf8")) as LockFile;
    expect(lock.python).toBe(world.pythonVersion);
    expect(lock.platforms["linux-x64"]?.wheels.map((w) => `${w.name}==${w.version}`)).toEqual(["demo-pkg==1.0"]);
    const said = events.filter((e): e is Extract<BundleEvent, { type: "info" | "warning" }> => e.type === "info" || e.type === "warning").map((e) => e.message);
    expect(said).toContain(`the lock file ${r.lockFile} does not exist`);
    expect(said.some((m) => m.startsWith(`wrote the lock file ${r.lockFile} (linux-x64: 1 wheel(s)`))).toBe(true);
    expect(await readdir(join(built.bundleDir, "python", "lib"), { recursive: true })).toEqual(expect.arrayContaining([expect.stringMatching(/site-packages\/demo_pkg\/__init__\.py$/)]));

    const again = await buildBundle({ recipe: r.recipe, cacheDir: join(tmp, "cache"), outDir: join(r.dir, "dist"), launcher: false, builderVersion: "test", format: "dir" });
    expect(again.lock?.action).toBe("fresh");
  }, 180_000);
});

describe("bundle fetch on a recipe that was never locked", () => {
  it("writes the lock, fetches the locked wheel with everything else, and exits 0", async () => {
    const r = await recipeCopy("fetch-unlocked");
    const cache = join(tmp, "cache-fetch");
    const out = await runCli(["fetch", r.recipe, "--cache", cache]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`the lock file ${r.lockFile} does not exist`);
    expect(out.stdout).toMatch(/fetched \d+ artifact\(s\) of world-1\.0\.0-linux-x64/);
    expect(out.stdout).toContain(`wrote the lock file ${r.lockFile} (resolved for linux-x64)`);
    const lock = JSON.parse(await readFile(r.lockFile, "utf8")) as LockFile;
    expect(lock.platforms["linux-x64"]?.wheels).toHaveLength(1);
    const json = await runCli(["fetch", r.recipe, "--cache", cache, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as { downloaded: number; lock: { action: string }; artifacts: { id: string }[] };
    expect(result).toMatchObject({ downloaded: 0, lock: { action: "fresh" } });
    expect(result.artifacts.map((a) => a.id)).toContain("wheel:demo-pkg");
  }, 180_000);
});

describe("--locked on a stale lock", () => {
  for (const command of ["build", "fetch"] as const) {
    it(`bundle ${command} exits 2 naming why the lock is stale, and downloads and writes nothing`, async () => {
      const lock = await worldLock();
      const r = await recipeCopy(`locked-${command}`, (y) => y, { ...lock, python: "3.9.1" });
      const before = await readFile(r.lockFile);
      const requests = world.downloads();
      const args = [command, r.recipe, "--locked", "--cache", join(r.dir, "cache"), ...(command === "build" ? ["--out", join(r.dir, "dist")] : [])];
      const out = await runCli(args);
      expect(out.code, out.stderr).toBe(2);
      expect(out.stderr).toContain(`error: --locked: ${r.recipe} is not fully locked for linux-x64:`);
      expect(out.stderr).toContain(`the lock was made for Python 3.9.1; the recipe now says ${world.pythonVersion}`);
      expect(out.stderr).toMatch(/nothing was downloaded or written/);
      expect(world.downloads()).toBe(requests);
      expect(await readFile(r.lockFile)).toEqual(before);
      expect((await readdir(r.dir)).sort()).toEqual(["world.lock.json", "world.requirements.txt", "world.yml"]);
    });
  }

  it("counts a pin whose URL changed as stale (the pinned hash is for other bytes)", async () => {
    const lock = await worldLock();
    const pinned: LockFile = { ...lock, platforms: { "linux-x64": { ...lock.platforms["linux-x64"]!, artifacts: { "file:app/models/model.bin": { sha256: world.model.sha256, size: world.model.size, url: `${world.files.url}/hf/org/old/model.bin` } } } } };
    const r = await recipeCopy("locked-url", (y) => y.replace(/(url: mirror:\/\/hf\/org\/model\/resolve\/main\/model\.bin\n\s+sha256: )[0-9a-f]{64}/, "$1lock"), pinned);
    const out = await runCli(["build", r.recipe, "--locked", "--cache", join(r.dir, "cache"), "--out", join(r.dir, "dist")]);
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toContain(`file:app/models/model.bin: the lock pinned the bytes of ${world.files.url}/hf/org/old/model.bin; the recipe now names mirror://hf/org/model/resolve/main/model.bin`);
    expect(await exists(join(r.dir, "dist"))).toBe(false);
  });
});

describe("--offline with a stale lock", () => {
  it("is an error that names what changed and what is unresolved, before any download", async () => {
    const lock = await worldLock();
    const r = await recipeCopy("offline-stale", (y) => y, lock);
    await writeFile(join(r.dir, "world.requirements.txt"), "demo-pkg==1.1\n");
    const requests = world.downloads();
    const out = await runCli(["build", r.recipe, "--offline", "--cache", join(r.dir, "cache"), "--out", join(r.dir, "dist")]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`error: --offline: the lock file ${r.lockFile} is stale for linux-x64, and resolving it needs the network:`);
    expect(out.stderr).toContain("demo-pkg: the lock has 1.0, the requirements pin 1.1");
    expect(out.stderr).toMatch(/wheel:demo-pkg has no pinned sha256 \(.*world\.requirements\.txt:1:1\)/);
    expect(world.downloads()).toBe(requests);
    expect(await readFile(r.lockFile, "utf8")).toBe(JSON.stringify(lock, null, 2));
  });
});
