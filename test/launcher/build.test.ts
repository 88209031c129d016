// Decisions of the launcher build, without building: which Node writes the SEA blob, the Windows
// version numbers, the signing command, what a bad Node archive says, and the cache key.

import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BundleError } from "../../src/core/errors.ts";
import { chooseGenerator } from "../../src/launcher/sea.ts";
import { numericVersion } from "../../src/launcher/win-resources.ts";
import { osslsigncodeArgs } from "../../src/launcher/sign.ts";
import { extractNodeBinary, nodeEntryName } from "../../src/launcher/node-binary.ts";
import { buildLauncher, launcherKey } from "../../src/launcher/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tarEntry, tgz, zip } from "../pack/archives.ts";

describe("the SEA blob writer", () => {
  it("is the target binary for the host platform, else a Node of exactly the target's version", () => {
    expect(chooseGenerator("linux-x64", "linux-x64", "24.21.0", "v22.19.0", false)).toEqual({ kind: "target" });
    expect(chooseGenerator("win-x64", "linux-x64", "24.21.0", "v24.21.0", false)).toEqual({ kind: "self" });
    expect(chooseGenerator("win-x64", "linux-x64", "24.21.0", "v24.20.0", true)).toEqual({ kind: "host-archive" });
  });

  it("refuses to guess when no Node of the right version can run here, and says what to do", () => {
    const e = chooseGenerator("win-x64", "linux-x64", "24.21.0", "v24.20.0", false);
    expect(e).toBeInstanceOf(BundleError);
    expect((e as BundleError).message).toContain("Node 24.21.0");
    expect((e as BundleError).hint).toContain("hostNodeArchive");
  });
});

describe("Windows version info", () => {
  it("takes the first four numbers of the recipe version", () => {
    expect(numericVersion("1.10.1-r2")).toEqual([1, 10, 1, 2]);
    expect(numericVersion("2024.05")).toEqual([2024, 5, 0, 0]);
    expect(numericVersion("v1")).toEqual([1, 0, 0, 0]);
    expect(numericVersion("99999.1")).toEqual([65535, 1, 0, 0]);
  });
});

describe("signing", () => {
  it("builds the osslsigncode command for PEM files or a .pfx, with a fixed signing time", () => {
    expect(osslsigncodeArgs({ cert: "c.pem", key: "k.pem", time: new Date("2024-01-02T03:04:05Z") }, "Title", "in.exe", "out.exe")).toEqual([
      "sign", "-certs", "c.pem", "-key", "k.pem", "-h", "sha256", "-n", "Title", "-time", "1704164645", "-in", "in.exe", "-out", "out.exe",
    ]);
    expect(osslsigncodeArgs({ cert: "me.pfx", key: "", pass: "secret" }, "T", "a", "b").slice(0, 5)).toEqual(["sign", "-pkcs12", "me.pfx", "-pass", "secret"]);
  });
});

describe("the Node base binary", () => {
  it("is looked for where nodejs.org archives keep it", () => {
    expect(nodeEntryName("linux-x64", "24.21.0")).toBe("node-v24.21.0-linux-x64/bin/node");
    expect(nodeEntryName("win-x64", "24.21.0")).toBe("node-v24.21.0-win-x64/node.exe");
  });

  it("must come from an archive of the right kind, with a hint naming the expected file", async () => {
    const dir = await tempDir("gb-nodearchive-");
    await writeFile(join(dir, "blob"), "not an archive");
    const e = await extractNodeBinary(join(dir, "blob"), "win-x64", "24.21.0", join(dir, "node.exe")).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BundleError);
    expect((e as BundleError).hint).toContain("node-v24.21.0-win-x64.zip");
  });

  it("is taken out of a good archive, and only it", async () => {
    const dir = await tempDir("gb-nodearchive-");
    const top = "node-v24.21.0-linux-x64";
    await writeFile(join(dir, "blob"), tgz(tarEntry(`${top}/`, "5"), tarEntry(`${top}/bin/node`, "0", "ELF node"), tarEntry(`${top}/bin/npm`, "2", "", "../lib/npm-cli.js"), tarEntry(`${top}/LICENSE`, "0", "MIT")));
    await extractNodeBinary(join(dir, "blob"), "linux-x64", "24.21.0", join(dir, "out", "node"));
    expect(await readFile(join(dir, "out", "node"), "utf8")).toBe("ELF node");
    expect(await readdir(join(dir, "out"))).toEqual(["node"]);
  });

  it.each([
    ["tar.gz", "linux-x64", async () => tgz(tarEntry("node-v24.21.0-linux-x64/bin/node", "0", "ELF"), tarEntry("node-v24.21.0-linux-x64/../../evil.sh", "0", "x")), /entry "node-v24.21.0-linux-x64\/..\/..\/evil.sh" contains '..'/],
    ["zip", "win-x64", async () => zip([{ name: "node-v24.21.0-win-x64/node.exe", data: "MZ" }, { name: "@@/@@/evil.bat", data: "x" }], [["@@/@@/", "../../"]]), /entry "..\/..\/evil.bat" contains '..'/],
  ] as const)("refuses a %s Node archive with an entry that escapes, even one it would not take", async (_kind, platform, make, why) => {
    const dir = await tempDir("gb-nodearchive-");
    await writeFile(join(dir, "blob"), await make());
    const e = await extractNodeBinary(join(dir, "blob"), platform, "24.21.0", join(dir, "out", "node")).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(why) });
    expect(await readdir(dir)).toEqual(["blob", "out"]);
    expect(await readdir(join(dir, "out"))).toEqual([]);
  });

  it("refuses a Node binary that is a link out of the archive", async () => {
    const dir = await tempDir("gb-nodearchive-");
    await writeFile(join(dir, "blob"), tgz(tarEntry("node-v24.21.0-linux-x64/bin/node", "2", "", "/usr/bin/node")));
    const e = await extractNodeBinary(join(dir, "blob"), "linux-x64", "24.21.0", join(dir, "node")).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(/link "node-v24.21.0-linux-x64\/bin\/node" → "\/usr\/bin\/node" points outside/) });
  });

  it("must be Node 22 or later with a full version", async () => {
    const dir = await tempDir("gb-nodearchive-");
    const o = { platform: "linux-x64" as const, nodeArchive: join(dir, "x"), out: join(dir, "launcher"), meta: { title: "T", version: "1", name: "launcher" }, workDir: dir };
    await expect(buildLauncher({ ...o, nodeVersion: "20.11.0" })).rejects.toThrow(/version 22 or later/);
    await expect(buildLauncher({ ...o, nodeVersion: "24" })).rejects.toThrow(/full version/);
  });
});

describe("the launcher's cache key", () => {
  it("is the same for the same inputs and changes with each one: Node, host Node, target, resources, icon, signature", async () => {
    const dir = await tempDir("gb-launcher-key-");
    const icon = join(dir, "a.ico");
    const cert = join(dir, "cert.pem");
    await writeFile(icon, "icon one");
    await writeFile(cert, "cert one");
    const base = { platform: "win-x64" as const, nodeArchive: "unused", nodeVersion: "24.21.0", out: "unused", workDir: "unused", meta: { title: "T", version: "1.0.0", name: "launcher", icon }, cache: { dir, nodeSha256: "a".repeat(64) } };
    const k = await launcherKey(base);
    expect(k).toMatch(/^launcher:v1:[0-9a-f]{64}$/);
    expect(await launcherKey({ ...base })).toBe(k);
    const variants = [
      { ...base, cache: { dir, nodeSha256: "b".repeat(64) } },
      { ...base, cache: { ...base.cache, hostNodeSha256: "c".repeat(64) } },
      { ...base, platform: "linux-x64" as const },
      { ...base, nodeVersion: "24.21.1" },
      { ...base, meta: { ...base.meta, title: "U" } },
      { ...base, meta: { ...base.meta, version: "1.0.1" } },
      { ...base, sign: { cert, key: "", time: new Date(0) } },
      { ...base, sign: { cert, key: "", time: new Date(1000) } },
    ];
    const keys = await Promise.all(variants.map((v) => launcherKey(v)));
    expect(new Set([k, ...keys]).size).toBe(variants.length + 1);
    await writeFile(icon, "icon two");
    expect(await launcherKey(base)).not.toBe(k);
  });
});
