// A linux-arm64 bundle built on this linux-x64 machine from the platform table alone: the runtime
// and wheels placed in the Linux scheme, the launcher made from nodejs.org's linux-arm64 binary
// (its SEA blob written by the recipe's linux-x64 Node of the same version, since greenbundle runs
// on another one), packed — and `bundle verify` refuses to boot it here, before unpacking it.
// The runtime is the loopback world's x86_64 stand-in under the arm64 name: the build never runs
// the target's Python, so only its layout matters.
import { createHash } from "node:crypto";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildResult } from "../../src/assemble/build.ts";
import { hostPlatform } from "../../src/core/platform.ts";
import type { LockFile } from "../../src/python/lockfile.ts";
import { verifyBundle } from "../../src/verify/verify.ts";
import { tempDir } from "../helpers/tmp.ts";
import { nodeArchive } from "../launcher/node-dist.ts";
import { makeWorld, type World } from "./world.ts";

const NODE = "24.21.0";
const ELF_MACHINE_AARCH64 = 0xb7;
const crossBuild = hostPlatform() === "linux-x64";

/** The e_machine field of an ELF header (offset 18, little-endian). */
async function elfMachine(path: string): Promise<number> {
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(20);
    await fh.read(b, 0, 20, 0);
    expect(b.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    return b.readUInt16LE(18);
  } finally {
    await fh.close();
  }
}

describe.skipIf(!crossBuild)("a linux-arm64 bundle built on linux-x64 (needs a linux-x64 host)", () => {
  let tmp: string;
  let world: World | undefined;
  let built: BuildResult;

  beforeAll(async () => {
    tmp = await tempDir("gb-arm64-");
    world = await makeWorld(tmp, { nodeVersion: NODE, nodeArchive: await readFile(await nodeArchive("linux", NODE)) });
    const armNode = await readFile(await nodeArchive("linux", NODE, "arm64"));
    world.files.setFile(`/node/v${NODE}/node-v${NODE}-linux-arm64.tar.gz`, armNode);
    const linux = await readFile(world.recipe, "utf8");
    const x64Node = /^ {4}linux-x64: \{ url: mirror:\/\/files\/node\/.*$/m.exec(linux)![0];
    const text = linux
      .replace("name: world\n", "name: world-arm\n")
      .replace("platforms: [linux-x64]", "platforms: [linux-arm64]")
      .replace(/^ {2}linux-x64: \{ url: mirror:\/\/files\/python\//m, "  linux-arm64: { url: mirror://files/python/")
      .replace("lock: world.lock.json", "lock: arm.lock.json")
      .replace(x64Node, `${x64Node}\n    linux-arm64: { url: mirror://files/node/v${NODE}/node-v${NODE}-linux-arm64.tar.gz, sha256: ${createHash("sha256").update(armNode).digest("hex")} }`)
      .replace("formats: [dir]", "formats: [zip]");
    const lock = JSON.parse(await readFile(join(tmp, "recipe", "world.lock.json"), "utf8")) as LockFile;
    const armLock: LockFile = { ...lock, platforms: { "linux-arm64": lock.platforms["linux-x64"]! } };
    await writeFile(join(tmp, "recipe", "arm.lock.json"), JSON.stringify(armLock, null, 2));
    const recipe = join(tmp, "recipe", "arm.yml");
    await writeFile(recipe, text);
    built = await buildBundle({ recipe, cacheDir: join(tmp, "cache"), outDir: join(tmp, "dist"), builderVersion: "test", hostPlatform: "linux-x64", env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" } });
  }, 600_000);
  afterAll(async () => world?.close());

  it("lays out the Linux scheme and makes an aarch64 launcher", async () => {
    expect(built.bundleName).toBe("world-arm-1.0.0-linux-arm64");
    expect(built.bundleJson).toMatchObject({ platform: "linux-arm64", launcher: { python: "python/bin/python3", git: null } });
    const wheel = built.bundleJson.components.find((c) => c.kind === "wheel" && c.name === "demo-pkg")!;
    expect(wheel.dest).toBe(`python/lib/python${world!.pythonVersion.split(".").slice(0, 2).join(".")}/site-packages`);
    const launcher = built.bundleJson.files.find((f) => f.path === "launcher")!;
    expect(launcher.exec).toBe(true);
    expect(await elfMachine(join(built.bundleDir, "launcher"))).toBe(ELF_MACHINE_AARCH64);
    expect(built.bundleJson.components.filter((c) => c.kind === "node").map((c) => c.url)).toEqual([expect.stringMatching(/node-v24\.21\.0-linux-arm64\.tar\.gz$/)]);
  });

  it("is refused by bundle verify on this linux-x64 host before its archive is unpacked", async () => {
    const zip = built.archives[0]!.files[0]!.path;
    const r = await verifyBundle({ input: zip, gpu: "auto", hostPlatform: "linux-x64", allowNetns: true, cwd: tmp, env: process.env, toolVersion: "test", tmpRoot: tmp, reportDir: join(tmp, "report") });
    expect(r.report.failed).toEqual(["bundle"]);
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c]));
    expect(checks.bundle!.detail).toContain("cannot boot a linux-arm64 bundle on this linux-x64 host");
    expect(checks.extract!.status).toBe("skip");
  });
});
