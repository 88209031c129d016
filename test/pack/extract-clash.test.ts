// Archives whose entries cannot all exist on disk (a file and a folder of one name, a link and a
// folder): an ARCHIVE error naming the entry, never a bare EEXIST/ENOTDIR from the file system.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractArchive } from "../../src/pack/extract.ts";
import { tempDir } from "../helpers/tmp.ts";

const extractZip = (f: string, dest: string) => extractArchive(f, dest, { format: "zip" });

async function zipOf(file: string, entries: { name: string; data?: string; link?: string }[]): Promise<string> {
  const yazl = await import("yazl");
  const { createWriteStream } = await import("node:fs");
  const { pipeline } = await import("node:stream/promises");
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.link !== undefined) zip.addBuffer(Buffer.from(e.link), e.name, { mode: 0o120777 });
    else zip.addBuffer(Buffer.from(e.data ?? ""), e.name);
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
  return file;
}

describe("extracting a zip whose entries clash", () => {
  it("names the entry when a file and a folder share a name", async () => {
    const dir = await tempDir("gb-clash-");
    const zip = await zipOf(join(dir, "file-dir.zip"), [{ name: "b/f", data: "1" }, { name: "b/f/x", data: "2" }]);
    await expect(extractZip(zip, join(dir, "out1"))).rejects.toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(/entry "b\/f\/x" clashes with another entry of the same name/) });
  });

  it("names the link when a link and a folder share a name", async () => {
    const dir = await tempDir("gb-clash-");
    const zip = await zipOf(join(dir, "link-dir.zip"), [{ name: "b/d/y", data: "0" }, { name: "b/l", link: "d" }, { name: "b/l/x", data: "2" }]);
    await expect(extractZip(zip, join(dir, "out2"))).rejects.toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(/entry "b\/l" clashes/) });
  });
});
