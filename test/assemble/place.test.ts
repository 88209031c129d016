import { spawn } from "node:child_process";
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanStale, ownerPid, partialDir } from "../../src/assemble/dist.ts";
import { buildManifest, walkTree } from "../../src/assemble/manifest.ts";
import { placeBlob, placeText, probeLinkStrategy } from "../../src/assemble/place.ts";
import { collector } from "../../src/core/events.ts";
import { isBundleError } from "../../src/core/errors.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("placing cache blobs", () => {
  it("hardlinks when the cache and the output share a filesystem, and leaves the blob untouched", async () => {
    const dir = await tempDir();
    const blob = join(dir, "cache", "blob");
    await mkdir(join(dir, "cache"));
    await writeFile(blob, "model bytes");
    await chmod(blob, 0o444);
    const strategy = await probeLinkStrategy(blob, join(dir, "out"));
    expect(strategy).toBe("hardlink");
    expect(await readdir(join(dir, "out"))).toEqual([]);
    expect(await placeBlob(blob, join(dir, "out", "models", "m.bin"), strategy)).toBe("hardlink");
    expect((await stat(join(dir, "out", "models", "m.bin"))).ino).toBe((await stat(blob)).ino);
    expect((await stat(blob)).mode & 0o777).toBe(0o444);
  });

  it("copies when asked to, and refuses to place two things at one path", async () => {
    const dir = await tempDir();
    const blob = join(dir, "blob");
    await writeFile(blob, "x");
    expect(await placeBlob(blob, join(dir, "o", "a"), "copy")).toBe("copy");
    expect((await stat(join(dir, "o", "a"))).ino).not.toBe((await stat(blob)).ino);
    const err = await placeBlob(blob, join(dir, "o", "a"), "copy").catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("BUILD");
    await placeText("hello", join(dir, "o", "t.txt"));
    expect(await readFile(join(dir, "o", "t.txt"), "utf8")).toBe("hello");
  });
});

describe("the manifest", () => {
  it("lists every file with size and sha256, uses known digests and records links by what they resolve to", async () => {
    const root = await tempDir();
    await mkdir(join(root, "bin"));
    await writeFile(join(root, "bin", "tool"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(root, "big.bin"), "0123456789");
    const { symlink } = await import("node:fs/promises");
    await symlink("tool", join(root, "bin", "alias"));
    await writeFile(join(root, "bundle.json"), "{}");
    const entries = await walkTree(root);
    const known = new Map([["big.bin", { sha256: "f".repeat(64), size: 10 }]]);
    const m = await buildManifest(root, entries, { known, exec: true });
    expect(m.map((e) => e.path)).toEqual(["big.bin", "bin/alias", "bin/tool"]);
    expect(m[0]!.sha256).toBe("f".repeat(64));
    expect(m[1]).toMatchObject({ link: "tool", size: 10, sha256: m[2]!.sha256 });
    expect(m[2]).toMatchObject({ size: 10, exec: true });
  });
});

describe("the output folder", () => {
  it("recognises its temporary names and whose they are", () => {
    expect(ownerPid(".demo-1-linux-x64.partial-123")).toBe(123);
    expect(ownerPid(".demo-1-linux-x64.partial-123.work")).toBe(123);
    expect(ownerPid(".demo-1-linux-x64.old-77-abcd1234")).toBe(77);
    expect(ownerPid("demo-1-linux-x64")).toBeUndefined();
    expect(partialDir("/d", "b", 5)).toBe("/d/.b.partial-5");
  });

  it("removes leftovers of builds whose process is gone, and keeps live ones", async () => {
    const out = await tempDir();
    const dead = await new Promise<number>((resolve) => {
      const p = spawn(process.execPath, ["-e", "0"]);
      p.on("exit", () => resolve(p.pid!));
    });
    await mkdir(join(out, `.b-1-linux-x64.partial-${dead}`, "x"), { recursive: true });
    await mkdir(join(out, `.b-1-linux-x64.partial-${process.pid}`));
    await mkdir(join(out, "b-1-linux-x64"));
    const { emit, events } = collector();
    expect(await cleanStale(out, emit)).toEqual([`.b-1-linux-x64.partial-${dead}`]);
    expect((await readdir(out)).sort()).toEqual([`.b-1-linux-x64.partial-${process.pid}`, "b-1-linux-x64"]);
    expect(events[0]).toMatchObject({ type: "info" });
  });
});
