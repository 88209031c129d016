// A recipe with no wheels: section, written as an outside user would from the recipe reference (every sha256
// in the recipe). `bundle lock` has nothing to pin and `build --locked` must not ask for a lock
// file that cannot exist. Driven through the CLI only; nothing is downloaded.
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const HEX = (c: string) => c.repeat(64);

function recipe(pythonSha: string): string {
  return `recipe: 1
name: nowheels
version: 1.0.0
platforms: [linux-x64, win-x64]
mirrors:
  files: [http://127.0.0.1:9/files]
python:
  version: 3.11.7
  linux-x64: { url: mirror://files/python.tar.gz, sha256: ${pythonSha} }
  win-x64: { url: mirror://files/python-3.11.7-embed-amd64.zip, sha256: ${HEX("b")} }
files:
  - { path: models/m.bin, url: mirror://files/m.bin, sha256: ${HEX("c")} }
  - { path: hf/refs/main, text: "0123" }
launcher:
  node:
    linux-x64: { url: mirror://files/node-v24.21.0-linux-x64.tar.gz, sha256: ${HEX("d")} }
    win-x64: { url: mirror://files/node-v24.21.0-win-x64.zip, sha256: ${HEX("e")} }
  command: ["{python}", "app.py", "--port", "{port}"]
  ready: /
`;
}

async function write(dir: string, text: string): Promise<string> {
  const file = join(dir, "nowheels.yml");
  await writeFile(file, text);
  return file;
}

describe("a recipe without wheels", () => {
  it("locks as a no-op: exit 0, says there is nothing to lock, writes no file", async () => {
    const dir = await tempDir("gb-bb-nowheels-");
    const file = await write(dir, recipe(HEX("a")));
    const r = await runCli(["lock", file, "--cache", join(dir, "cache")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("nothing to lock");
    const j = await runCli(["lock", file, "--cache", join(dir, "cache"), "--json"]);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ file: null, changed: false, nothing: expect.stringContaining("nothing to lock") });
    expect((await readdir(dir)).sort()).toEqual(["nowheels.yml"]);
  });

  it("passes the --locked check on every platform: an --offline build with an empty cache fails only for the missing files", async () => {
    const dir = await tempDir("gb-bb-nowheels-");
    const file = await write(dir, recipe(HEX("a")));
    for (const platform of ["linux-x64", "win-x64"]) {
      const r = await runCli(["build", file, "--platform", platform, "--locked", "--offline", "--cache", join(dir, "cache"), "--out", join(dir, "dist")]);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain("--locked");
      expect(r.stderr).not.toContain("no lock file");
      expect(r.stderr).toMatch(/--offline: \d+ of \d+ artifact\(s\) of nowheels-1\.0\.0-/);
    }
  });

  it("refuses to lock \"lock\" hashes it has no lock file for, naming them and what to write instead", async () => {
    const dir = await tempDir("gb-bb-nowheels-");
    const file = await write(dir, recipe("lock"));
    const r = await runCli(["lock", file, "--cache", join(dir, "cache")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("has no wheels: section, so there is no lock file to pin python into");
    expect(r.stderr).toContain("hint: write their sha256 into the recipe");
  });
});
