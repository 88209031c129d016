// A full disk while unpacking or building: an IO error that says the disk is full, never a
// "corrupt archive" or an internal error, and no half-made bundle left behind. Needs a small
// tmpfs, which only root can mount: skipped (visibly) elsewhere.
import { execFileSync } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../src/assemble/build.ts";
import { extractArchive } from "../../src/pack/extract.ts";
import { makeWorld, type World } from "../build/world.ts";
import { tempDir } from "../helpers/tmp.ts";
import { bundleFailure } from "../helpers/failure.ts";

const extractZip = (f: string, dest: string) => extractArchive(f, dest, { format: "zip" });
const extractTarGz = (f: string, dest: string) => extractArchive(f, dest, { format: "tar.gz" });

function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
let small: string;
let mounted = false;
beforeAll(async () => {
  dir = await tempDir("gb-disk-full-");
  small = join(dir, "small");
  await mkdir(small);
  mounted = process.platform === "linux" && tryMount(small, "1m");
});
afterAll(() => {
  if (mounted) execFileSync("umount", [small], { stdio: "ignore" });
});

const failure = (p: Promise<unknown>) => bundleFailure(p);

async function archives(): Promise<{ zip: string; tgz: string }> {
  const src = join(dir, "src");
  await mkdir(join(src, "top"), { recursive: true });
  const noise = Buffer.alloc(3 << 20);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  await writeFile(join(src, "top", "big.bin"), noise);
  const zip = join(dir, "a.zip");
  const tgz = join(dir, "a.tar.gz");
  execFileSync("zip", ["-q", "-r", zip, "top"], { cwd: src });
  execFileSync("tar", ["-czf", tgz, "top"], { cwd: src });
  return { zip, tgz };
}

describe("a full disk", () => {
  it.skipIf(process.getuid?.() !== 0)("(needs root to mount a 1 MiB tmpfs) unpacking a zip or tar.gz says the disk is full, not that the archive is corrupt", async () => {
    expect(mounted).toBe(true);
    const { zip, tgz } = await archives();
    for (const [name, run] of [["zip", () => extractZip(zip, join(small, "z"))], ["tar.gz", () => extractTarGz(tgz, join(small, "t"))]] as const) {
      const e = await failure(run());
      expect(e.code, name).toBe("IO");
      expect(e.message, name).toMatch(/ENOSPC/);
      expect(e.hint, name).toMatch(/disk is full/);
    }
    await rm(join(small, "z"), { recursive: true, force: true });
    await rm(join(small, "t"), { recursive: true, force: true });
  });

  describe("building", () => {
    let world: World;
    beforeAll(async () => {
      if (process.getuid?.() === 0) world = await makeWorld(join(dir, "world"));
    }, 120_000);
    afterAll(async () => world?.close());

    it.skipIf(process.getuid?.() !== 0)("(needs root to mount a 1 MiB tmpfs) fails as IO with the disk-full hint and leaves no partial bundle", async () => {
      expect(mounted).toBe(true);
      const out = join(small, "dist");
      const e = await failure(buildBundle({ recipe: world.recipe, cacheDir: join(dir, "cache"), outDir: out, launcher: false, builderVersion: "test", format: "dir" }));
      expect(e.code).toBe("IO");
      expect(e.message).toMatch(/ENOSPC/);
      expect(e.hint).toMatch(/disk is full/);
      expect(await readdir(out)).toEqual([]);
    }, 120_000);
  });
});
