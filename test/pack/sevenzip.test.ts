// The release .7z: written by the pinned 7-Zip (WASM) reproducibly, under one top folder, with
// fixed times and explicit modes, the x86 filter on executables and libraries, split into
// volumes on request, and read back through the same checks as the zip.

import { execFileSync } from "node:child_process";
import { copyFile, lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/pack/extract.ts";
import { packBundle } from "../../src/pack/index.ts";
import { listSevenZip } from "../../src/pack/sevenzip.ts";
import { tempDir } from "../helpers/tmp.ts";
import { TREE_FILES, makeTree, noise } from "./tree.ts";
import { has } from "./zip-read.ts";

const has7zz = has("7zz", ["i"]);
const mtime = new Date("2024-05-06T07:08:10Z");
const TOP = "demo-1.0-linux-x64";
let tmp: string;
let archive: string;
let sha: string;

/** The headers of an x64 Windows executable (DOS stub, PE signature, COFF and optional header), then noise. */
function tinyPe(): Buffer {
  const b = Buffer.alloc(4096);
  b.write("MZ", 0);
  b.writeUInt32LE(0x80, 0x3c); // where the PE header is
  b.write("PE\0\0", 0x80, "latin1");
  b.writeUInt16LE(0x8664, 0x84); // machine: x64
  b.writeUInt16LE(1, 0x86); // one section
  b.writeUInt16LE(0xf0, 0x94); // optional header size
  b.writeUInt16LE(0x2022, 0x96); // executable, large-address aware, DLL
  b.writeUInt16LE(0x20b, 0x98); // PE32+
  b.writeUInt16LE(2, 0x98 + 68); // subsystem: Windows GUI
  return Buffer.concat([b, noise("exe", 40_000)]);
}

/** The tree, plus a Linux library and a Windows executable: 7-Zip knows both by their headers. */
async function tree(root: string, o: Parameters<typeof makeTree>[1] = {}): Promise<void> {
  await makeTree(root, o);
  await mkdir(join(root, "lib"), { recursive: true });
  await copyFile("/bin/true", join(root, "lib", "libtrue.so"));
  await writeFile(join(root, "lib", "tool.exe"), tinyPe());
}

describe("7z packing", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-7z-");
    await tree(join(tmp, "a", "bundle"));
    const r = await packBundle({ dir: join(tmp, "a", "bundle"), out: join(tmp, "a", TOP), format: "7z", mtime, level: 3 });
    archive = r.files[0]!;
    sha = r.sha256[0]!;
    expect(archive).toBe(join(tmp, "a", `${TOP}.7z`));
    expect(r.size).toBe((await lstat(archive)).size);
  }, 300_000);

  it("is byte-identical for the same tree packed from another folder, with other mtimes, modes and hard links", async () => {
    await tree(join(tmp, "b", "整合包 copy"), { hardlink: true, scramble: true });
    const r = await packBundle({ dir: join(tmp, "b", "整合包 copy"), out: join(tmp, "b", `${TOP}.7z`), format: "7z", mtime, level: 3 });
    expect(r.sha256).toEqual([sha]);
    expect((await readFile(r.files[0]!)).equals(await readFile(archive))).toBe(true);
  }, 300_000);

  it("holds one top folder, fixed times, explicit modes, a link, and the x86 filter on libraries and executables", async () => {
    const items = await listSevenZip(archive);
    expect(items.find((i) => i.name === TOP)).toMatchObject({ kind: "dir", mode: 0o755 });
    expect(items.every((i) => i.name === TOP || i.name.startsWith(`${TOP}/`))).toBe(true);
    const item = (n: string) => items.find((i) => i.name === `${TOP}/${n}`)!;
    expect(item(TREE_FILES.exec).mode).toBe(0o755);
    expect(item(TREE_FILES.execByManifest).mode).toBe(0o755);
    expect(item(TREE_FILES.cjk).mode).toBe(0o644);
    expect(item(TREE_FILES.link).kind).toBe("link");
    expect(item("lib/libtrue.so").method).toMatch(/BCJ/);
    expect(item("lib/tool.exe").method).toMatch(/BCJ/);
    expect(item(TREE_FILES.textUnknown).method).toMatch(/LZMA2/);
    expect(item(TREE_FILES.textUnknown).method).not.toMatch(/BCJ/);
    if (has7zz) {
      const slt = execFileSync("7zz", ["l", "-slt", archive], { env: { ...process.env, TZ: "UTC" } }).toString();
      expect(new Set([...slt.matchAll(/^Modified = (.*)$/gm)].map((m) => m[1]))).toEqual(new Set(["2024-05-06 07:08:10.0000000"]));
      expect(slt).toMatch(/^Solid = \+$/m);
    }
  }, 120_000);

  it("unpacks to the same files, modes and link, through greenbundle's reader and 7zz", async () => {
    const dest = join(tmp, "x");
    const r = await extractArchive(archive, dest);
    expect(r.links).toBe(1);
    for (const rel of [TREE_FILES.weights, TREE_FILES.textUnknown, TREE_FILES.cjk, TREE_FILES.empty, "lib/libtrue.so"]) {
      expect((await readFile(join(dest, TOP, rel))).equals(await readFile(join(tmp, "a", "bundle", rel)))).toBe(true);
    }
    expect((await lstat(join(dest, TOP, TREE_FILES.execByManifest))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(dest, TOP, TREE_FILES.link))).toBe("python3");
    if (has7zz) expect(execFileSync("7zz", ["t", archive]).toString()).toContain("Everything is Ok");
  }, 120_000);

  it("splits into volumes named .7z.001, … that concatenate back into the same archive and unpack", async () => {
    const out = join(tmp, "split", `${TOP}.7z`);
    const r = await packBundle({ dir: join(tmp, "a", "bundle"), out, format: "7z", mtime, level: 3, split: 1 << 20 });
    expect(r.files.map((f) => f.slice(out.length))).toEqual(Array.from({ length: r.files.length }, (_, i) => `.${String(i + 1).padStart(3, "0")}`));
    expect(r.files.length).toBeGreaterThan(1);
    const parts = await Promise.all(r.files.map((f) => readFile(f)));
    expect(Buffer.concat(parts).equals(await readFile(archive))).toBe(true);
    if (has7zz) expect(execFileSync("7zz", ["t", r.files[0]!]).toString()).toContain("Everything is Ok");
  }, 300_000);

  it.skipIf(!has7zz)("refuses an archive whose link leaves the destination, writing nothing through it", async () => {
    const src = join(tmp, "evil");
    await mkdir(join(src, "top"), { recursive: true });
    await symlink("../../../etc", join(src, "top", "escape"));
    const evil = join(tmp, "evil.7z");
    execFileSync("7zz", ["a", "-snl", evil, "top"], { cwd: src });
    await expect(extractArchive(evil, join(tmp, "evil-out"))).rejects.toThrow(/link "top\/escape" → "\.\.\/\.\.\/\.\.\/etc" points outside the destination/);
    await rm(join(tmp, "evil-out"), { recursive: true, force: true });
  });

  it("refuses a file that is not a 7z with an ARCHIVE error", async () => {
    const f = join(tmp, "bad.7z");
    await writeFile(f, Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), Buffer.alloc(100)]));
    await expect(extractArchive(f, join(tmp, "bad-out"))).rejects.toMatchObject({ code: "ARCHIVE" });
  });
});
