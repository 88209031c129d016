// dist/SHA256SUMS: every archive, in sha256sum's format, merged with the lines already there.

import { execFileSync } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeSha256Sums } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/tmp.ts";

const HELLO = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

describe("SHA256SUMS", () => {
  it("lists every archive so that sha256sum -c checks them", async () => {
    const dist = await tempDir("gb-sums-");
    await writeFile(join(dist, "demo-1.0-linux-x64.tar.gz"), "hello");
    await writeFile(join(dist, "demo-1.0-win-x64.zip"), "world");
    await writeSha256Sums(dist, [join(dist, "demo-1.0-win-x64.zip"), { path: join(dist, "demo-1.0-linux-x64.tar.gz"), sha256: HELLO }]);
    const text = await readFile(join(dist, "SHA256SUMS"), "utf8");
    expect(text.split("\n")[0]).toBe(`${HELLO}  demo-1.0-linux-x64.tar.gz`);
    expect(execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: dist }).toString()).toContain("demo-1.0-win-x64.zip: OK");
  });

  it("keeps lines for other archives, replaces the rebuilt one, and drops files that are gone", async () => {
    const dist = await tempDir("gb-sums-");
    await writeFile(join(dist, "a.zip"), "hello");
    await writeFile(join(dist, "b.zip.001"), "old");
    await writeFile(join(dist, "b.zip.002"), "old");
    await writeSha256Sums(dist, [join(dist, "a.zip"), join(dist, "b.zip.001"), join(dist, "b.zip.002")]);
    await rm(join(dist, "b.zip.002"));
    await writeFile(join(dist, "b.zip.001"), "new");
    await writeSha256Sums(dist, [join(dist, "b.zip.001")]);
    const lines = (await readFile(join(dist, "SHA256SUMS"), "utf8")).trim().split("\n");
    expect(lines.map((l) => l.slice(66))).toEqual(["a.zip", "b.zip.001"]);
    expect(lines[0]).toBe(`${HELLO}  a.zip`);
    execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: dist });
  });

  it("refuses an archive outside the dist folder", async () => {
    const dist = await tempDir("gb-sums-");
    await expect(writeSha256Sums(join(dist, "sub"), [join(dist, "x.zip")])).rejects.toThrow(/not inside/);
  });
});
