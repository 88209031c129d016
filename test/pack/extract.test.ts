// Safe extraction: zip (yauzl, CRC checked while streaming) and tar.gz (node-tar, warnings fail).
import { lstat, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryProblem, linkStaysInside } from "../../src/pack/entry-checks.ts";
import { extractArchive, type ExtractOptions } from "../../src/pack/extract.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tarEntry, tgz, zip } from "./archives.ts";

// Each format's reader as every caller reaches it: through the packer registry.
const extractZip = (f: string, dest: string, o: ExtractOptions = {}) => extractArchive(f, dest, { ...o, format: "zip" });
const extractTarGz = (f: string, dest: string, o: ExtractOptions = {}) => extractArchive(f, dest, { ...o, format: "tar.gz" });

describe("entry names", () => {
  it.each([
    ["a/b.txt", undefined],
    ["../x", "contains '..' and would leave the destination"],
    ["a/../../x", "contains '..' and would leave the destination"],
    ["/etc/passwd", "is an absolute path"],
    ["C:/Windows/x", "starts with a drive letter"],
    ["a\0b", "contains a NUL character"],
  ])("%s → %s", (name, why) => expect(entryProblem(name)).toBe(why));

  it("accepts links that stay inside and refuses the others", () => {
    expect(linkStaysInside("bin/python3", "python3.11")).toBe(true);
    expect(linkStaysInside("lib/a/b", "../c")).toBe(true);
    expect(linkStaysInside("lib/a", "../../x")).toBe(false);
    expect(linkStaysInside("a", "/etc/passwd")).toBe(false);
  });
});

describe("extractZip", () => {
  it("extracts files and folders, keeps the executable bit and strips a named top folder", async () => {
    const dir = await tempDir();
    const f = join(dir, "a.zip");
    await writeFile(f, await zip([{ name: "top/" }, { name: "top/bin/run", data: "#!/bin/sh\n", mode: 0o100755 }, { name: "top/x/y.txt", data: "y" }]));
    const r = await extractZip(f, join(dir, "out"), { strip: "top" });
    expect(r).toMatchObject({ files: 2, bytes: 11, stripped: "top" });
    expect(await readFile(join(dir, "out/x/y.txt"), "utf8")).toBe("y");
    expect((await stat(join(dir, "out/bin/run"))).mode & 0o111).not.toBe(0);
  });

  it("refuses an entry outside the top folder it was asked to strip", async () => {
    const dir = await tempDir();
    const f = join(dir, "a.zip");
    await writeFile(f, await zip([{ name: "top/a", data: "" }, { name: "other/b", data: "" }]));
    await expect(extractZip(f, join(dir, "out"), { strip: true })).rejects.toThrow(/entry "other\/b" is outside the expected top folder "top\/"/);
  });

  it.each([
    ["a zip-slip entry", "@@/@@/evil.txt", "../../evil.txt", /entry "..\/..\/evil.txt" contains '..'/],
    ["an absolute entry", "Xetc/evil", "/etc/evil", /entry "\/etc\/evil" is an absolute path/],
    ["a drive-letter entry", "C@/evil", "C:/evil", /starts with a drive letter/],
  ])("refuses %s before writing anything", async (_what, placeholder, real, msg) => {
    const dir = await tempDir();
    const f = join(dir, "a.zip");
    await writeFile(f, await zip([{ name: "ok.txt", data: "ok" }, { name: placeholder, data: "bad" }], [[placeholder, real]]));
    await expect(extractZip(f, join(dir, "out"))).rejects.toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(msg) });
    await expect(stat(join(dir, "out", "ok.txt"))).rejects.toThrow();
  });

  it("fails on an entry whose bytes do not match its CRC-32", async () => {
    const dir = await tempDir();
    const f = join(dir, "a.zip");
    const data = await zip([{ name: "data.bin", data: "0123456789abcdef", store: true }]);
    data.write("X", data.indexOf("0123456789abcdef") + 3, "latin1");
    await writeFile(f, data);
    await expect(extractZip(f, join(dir, "out"))).rejects.toThrow(/"data.bin" fails its CRC-32 check/);
  });

  it("makes links that stay inside, last, and refuses links that leave", async () => {
    const dir = await tempDir();
    const good = join(dir, "good.zip");
    await writeFile(good, await zip([{ name: "lib/libx.so.1", data: "elf" }, { name: "lib/libx.so", data: "libx.so.1", mode: 0o120777 }]));
    await extractZip(good, join(dir, "good"));
    expect(await readlink(join(dir, "good/lib/libx.so"))).toBe("libx.so.1");
    const bad = join(dir, "bad.zip");
    await writeFile(bad, await zip([{ name: "lib/evil", data: "../../../etc/passwd", mode: 0o120777 }]));
    await expect(extractZip(bad, join(dir, "bad"))).rejects.toThrow(/link "lib\/evil" → "..\/..\/..\/etc\/passwd" points outside/);
    await expect(extractZip(good, join(dir, "win"), { links: "refuse" })).rejects.toThrow(/symbolic link/);
  });
});

describe("extractTarGz", () => {
  it("extracts a python-build-standalone style archive, stripping python/ and keeping links", async () => {
    const dir = await tempDir();
    const f = join(dir, "p.tar.gz");
    await writeFile(f, tgz(tarEntry("python/", "5"), tarEntry("python/bin/python3.11", "0", "bin"), tarEntry("python/bin/python3", "2", "", "python3.11")));
    const r = await extractTarGz(f, join(dir, "out"), { strip: "python" });
    expect(r).toMatchObject({ files: 1, links: 1, stripped: "python" });
    expect((await lstat(join(dir, "out/bin/python3"))).isSymbolicLink()).toBe(true);
  });

  it.each([
    ["a '..' entry", tarEntry("../evil", "0", "x"), /entry "..\/evil" contains '..'/],
    ["an absolute entry", tarEntry("/tmp/evil", "0", "x"), /entry "\/tmp\/evil" is an absolute path/],
    ["a link leaving the folder", tarEntry("up", "2", "", "../../.."), /link "up" → "..\/..\/.." points outside/],
    ["an absolute link", tarEntry("abs", "2", "", "/etc"), /link "abs" → "\/etc" points outside/],
    ["a device file", tarEntry("dev", "3"), /entry "dev" is a CharacterDevice/],
  ])("refuses %s", async (_what, entry, msg) => {
    const dir = await tempDir();
    const f = join(dir, "bad.tar.gz");
    await writeFile(f, tgz(tarEntry("ok.txt", "0", "ok"), entry));
    await expect(extractTarGz(f, join(dir, "out"))).rejects.toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(msg) });
  });

  it("never writes through a link placed by the same archive", async () => {
    const dir = await tempDir();
    const f = join(dir, "bad.tar.gz");
    await writeFile(f, tgz(tarEntry("inside/", "5"), tarEntry("l", "2", "", "inside"), tarEntry("l/x.txt", "0", "x")));
    const out = join(dir, "out");
    await extractTarGz(f, out).catch(() => undefined);
    // whatever node-tar decides, nothing may appear outside `out`
    await expect(stat(join(dir, "x.txt"))).rejects.toThrow();
  });

  it("chooses the format by name or magic bytes", async () => {
    const dir = await tempDir();
    const f = join(dir, "archive.bin");
    await writeFile(f, tgz(tarEntry("a.txt", "0", "a")));
    await extractArchive(f, join(dir, "out"));
    expect(await readFile(join(dir, "out/a.txt"), "utf8")).toBe("a");
  });
});
