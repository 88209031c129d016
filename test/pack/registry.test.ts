// The packer registry is the one place that knows archive formats: the recipe schema and the
// command line offer exactly its names, and every packer writes and reads back a bundle through
// the same entry points (found by name or by the archive's first bytes), so a new format needs
// nothing more than its own file, its line in the registry and its name.
import { copyFile, lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/spec.ts";
import { ARCHIVE_FORMATS } from "../../src/contract/registry-names.ts";
import { archiveFormat, extractArchive, openArchive } from "../../src/pack/extract.ts";
import { packBundle } from "../../src/pack/index.ts";
import { PACKERS, packerByName, withoutArchiveExtension } from "../../src/pack/registry.ts";
import { PackageSchema } from "../../src/recipe/schema.ts";
import { tempDir } from "../helpers/tmp.ts";

async function smallBundle(root: string): Promise<void> {
  await mkdir(join(root, "python/bin"), { recursive: true });
  await writeFile(join(root, "python/bin/python3"), "#!/bin/sh\n", { mode: 0o755 });
  await symlink("python3", join(root, "python/bin/python"));
  await writeFile(join(root, "说明.txt"), "中文\n".repeat(100));
}

describe("the packer registry", () => {
  it("holds one packer per archive format name, each filed under its own name", () => {
    expect(Object.keys(PACKERS)).toEqual([...ARCHIVE_FORMATS]);
    for (const [name, p] of Object.entries(PACKERS)) {
      expect(p.format).toBe(name);
      expect(p.extensions.length).toBeGreaterThan(0);
      for (const e of p.extensions) expect(e).toMatch(/^\.[a-z0-9.]+$/);
    }
  });

  it("is what the recipe's package.formats and the command line's --format offer", () => {
    for (const f of [...ARCHIVE_FORMATS, "dir"]) expect(PackageSchema.safeParse({ formats: [f] }).success).toBe(true);
    expect(PackageSchema.safeParse({ formats: ["rar"] }).success).toBe(false);
    const build = COMMANDS.find((c) => c.name === "build")!;
    expect(build.flags.format!.choices).toEqual([...ARCHIVE_FORMATS, "dir"]);
    expect(build.usage).toContain(`--format ${[...ARCHIVE_FORMATS, "dir"].join("|")}`);
  });

  it("knows an archive by any of its file name endings, in any case", () => {
    expect(packerByName("x/demo-1.0-linux-x64.TGZ")?.format).toBe("tar.gz");
    expect(packerByName("demo.zip.001")).toBeUndefined();
    expect(withoutArchiveExtension("demo-1.0-linux-x64.tar.gz")).toBe("demo-1.0-linux-x64");
    expect(withoutArchiveExtension("demo.txt")).toBe("demo.txt");
  });

  it.each(ARCHIVE_FORMATS)("%s: packs a bundle and reads it back by its name or by its first bytes alone", async (format) => {
    const dir = await tempDir("gb-registry-");
    await smallBundle(join(dir, "bundle"));
    const r = await packBundle({ dir: join(dir, "bundle"), out: join(dir, "demo"), format, mtime: new Date("2024-01-01T00:00:00Z") });
    expect(r.files).toEqual([join(dir, `demo${PACKERS[format].extensions[0]}`)]);
    expect(await archiveFormat(r.files[0]!)).toBe(format);
    await copyFile(r.files[0]!, join(dir, "blob"));
    expect(await archiveFormat(join(dir, "blob"))).toBe(format);
    const reader = await openArchive(join(dir, "blob"));
    expect(reader.format).toBe(format);
    await reader.close();
    const got = await extractArchive(join(dir, "blob"), join(dir, "out"));
    expect(got).toMatchObject({ files: 2, links: 1, bytes: 10 + Buffer.byteLength("中文\n".repeat(100)) });
    // one top folder, named like the archive's stem
    expect(await readdir(join(dir, "out"))).toEqual(["demo"]);
    expect(await readFile(join(dir, "out/demo/说明.txt"), "utf8")).toBe("中文\n".repeat(100));
    expect(await readlink(join(dir, "out/demo/python/bin/python"))).toBe("python3");
    expect((await lstat(join(dir, "out/demo/python/bin/python3"))).mode & 0o111).not.toBe(0);
  });

  it("refuses a file that is no archive it reads, naming the formats it does", async () => {
    const dir = await tempDir("gb-registry-");
    await writeFile(join(dir, "blob"), "just text");
    await expect(archiveFormat(join(dir, "blob"))).rejects.toMatchObject({ code: "ARCHIVE", message: expect.stringContaining(`is not an archive greenbundle reads (${ARCHIVE_FORMATS.join(", ")})`) });
  });
});
