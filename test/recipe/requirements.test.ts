// The requirements file: every line pins one exact version; mistakes point at file:line:column.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeRequirementsText, parsePinnedRequirements, readPinnedRequirements } from "../../src/python/requirements.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BASE } from "./base-recipe.ts";

describe("requirements file", () => {
  it("parses pins with local versions, markers and inline comments", () => {
    const { reqs, diagnostics } = parsePinnedRequirements(
      ["# comment", "torch==2.1.2+cu121", "colorama==0.4.6 ; platform_system == 'Windows'  # inferred", "", "Pillow==9.5.0"].join("\n"),
      "r.txt",
    );
    expect(diagnostics).toEqual([]);
    expect(reqs.map((r) => [r.key, r.version, r.line])).toEqual([
      ["torch", "2.1.2+cu121", 2],
      ["colorama", "0.4.6", 3],
      ["pillow", "9.5.0", 5],
    ]);
    expect(reqs[1]!.markerText).toBe("platform_system == 'Windows'");
  });

  it("rejects unpinned, ranged, duplicated, option and direct-URL lines with positions", () => {
    const { diagnostics } = parsePinnedRequirements(
      ["numpy>=1.26", "  requests", "six==1.16.0", "six==1.15.0", "-r other.txt", "clip @ https://x/y.zip", "bad name==1"].join("\n"),
      "r.txt",
    );
    expect(diagnostics.map((d) => [d.line, d.col, d.message])).toEqual([
      [1, 1, "numpy is not pinned to one version (>=1.26)"],
      [2, 3, "requests is not pinned to one version (no version)"],
      [4, 1, "six is pinned twice (first on line 3)"],
      [5, 1, 'pip option "-r" is not supported in a recipe requirements file'],
      [6, 1, "clip uses a direct URL reference"],
      [7, 5, 'not a valid requirement: invalid version specifier "name==1"'],
    ]);
  });

  it("reads files the way pip does: UTF-16 (Windows PowerShell's `pip freeze >`) and UTF-8 with a byte-order mark, CRLF lines", async () => {
    const text = "# frozen\r\nsix==1.16.0\r\nnumpy==1.26.2 ; sys_platform == 'win32'\r\n";
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const utf16be = Buffer.from(utf16le);
    utf16be.swap16();
    const bom8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const b of [utf16le, utf16be, bom8, Buffer.from(text)]) expect(decodeRequirementsText(b)).toBe(text);
    const dir = await tempDir("gb-req-");
    await writeFile(join(dir, "frozen.txt"), utf16le);
    const reqs = await readPinnedRequirements(join(dir, "frozen.txt"), "frozen.txt");
    expect(reqs.map((r) => [r.key, r.version, r.line, r.col])).toEqual([
      ["six", "1.16.0", 2, 1],
      ["numpy", "1.26.2", 3, 1],
    ]);
  });

  it("makes bundle plan exit 2 with the requirements file position", async () => {
    const dir = await tempDir("gb-req-");
    await writeFile(join(dir, "reqs.txt"), "six==1.16.0\nnumpy\n");
    const recipe = join(dir, "r.yml");
    await writeFile(recipe, [...BASE, "wheels:", "  indexes: [files]", "  requirements: reqs.txt"].join("\n") + "\n");
    const r = await runCli(["plan", recipe]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "reqs.txt")}:2:1: error: numpy is not pinned to one version`);
  });
});
