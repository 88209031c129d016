// A recipe with several problems: every one is reported in the same run (YAML, schema and
// cross-reference problems together), each at its file:line:column, each quoting the offending value;
// and destinations that only a case-insensitive build machine would merge.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hostCaseProblems } from "../../src/assemble/dist.ts";
import { ignoresCase } from "../../src/core/fs.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { destinationClashes } from "../../src/recipe/validate.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BASE } from "./base-recipe.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-all-at-once-");
});

type Edit = [line: number, text: string | string[]];
async function recipe(name: string, edits: Edit[]): Promise<string> {
  const lines: string[][] = BASE.map((l) => [l]);
  for (const [n, text] of edits) lines[n - 1] = Array.isArray(text) ? text : [text];
  const file = join(dir, name);
  await writeFile(file, lines.flat().join("\n") + "\n");
  return file;
}

const errorLines = (stderr: string) => stderr.split("\n").filter((l) => / error: /.test(l));

describe("a recipe with several problems", () => {
  it("reports three different problems (a duplicated key, a drive letter, an unknown mirror list) in one run, each with its value quoted", async () => {
    const file = await recipe("three.yml", [
      [3, ["version: 1.0.0", "version: 1.0.1"]], // line 4: YAML, the same key twice
      [16, "    url: mirror://github/example/app.git"], // line 17: cross-reference, no such mirror list
      [19, "  - path: C:/models/model.bin"], // line 20: schema, a drive letter
    ]);
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${file}: 3 problems in the recipe`);
    const errors = errorLines(r.stderr);
    expect(errors).toEqual([
      `${file}:4:1: error: YAML syntax: Map keys must be unique: "version" is given twice (first on line 3); the last one would count (at version)`,
      `${file}:17:10: error: mirror list "github" is not defined (at repos[0].url)`,
      `${file}:20:11: error: path starts with a drive letter (C:); paths must be relative to the bundle (got "C:/models/model.bin") (at files[0].path)`,
    ]);
  });

  it("reports schema and cross-reference problems of many kinds together: an absolute path, a URL scheme, a duplicated destination, an unknown index list", async () => {
    const file = await recipe("many.yml", [
      [15, "  - path: /opt/app"], // schema: absolute
      [20, "    url: ftp://files.example.com/model.bin"], // schema: scheme
      [21, ["    sha256: " + "d".repeat(64), "  - path: app/models/model.bin", "    text: twice"]], // cross-reference: same destination
      [27, ["  ready: /health", "wheels:", "  indexes: [pypy]"]], // cross-reference: unknown list, with a suggestion
    ]);
    const r = await runCli(["plan", file, "--json"]);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stderr.trim().split("\n").at(-1)!) as { code: string; diagnostics: { line: number; col: number; message: string; path: string; hint?: string }[] };
    expect(err.code).toBe("RECIPE");
    expect(err.diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`)).toEqual([
      '15:11 repos[0].path: path is absolute; paths must be relative to the bundle (got "/opt/app")',
      '20:10 files[0].url: URL scheme "ftp:" is not allowed (in "ftp://files.example.com/model.bin")',
      '22:11 files[1].path: file destination "app/models/model.bin" is already used by the file at files[0].path',
      '31:13 wheels.indexes[0]: mirror list "pypy" is not defined',
    ]);
    expect(err.diagnostics.at(-1)?.hint).toMatch(/did you mean "pypi"|define it under mirrors/);
  });

  it("still reports a schema problem alone when it is the only one", async () => {
    const file = await recipe("one.yml", [[17, "    commit: main"]]);
    const r = await runCli(["plan", file]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toEqual([`${file}:17:13: error: "main" is not a full commit SHA (at repos[0].commit)`]);
  });
});

describe("destinations on a build machine whose file system ignores case", () => {
  it("are compared case-insensitively there, even for a linux-x64 bundle (both names would be one file)", async () => {
    const file = await recipe("case.yml", [
      [4, "platforms: [linux-x64]"],
      [21, ["    sha256: " + "d".repeat(64), "  - path: app/models/Model.bin", "    text: other"]],
    ]);
    const loaded = await loadRecipe(file); // valid for linux-x64 itself
    expect(destinationClashes(loaded.recipe, ["linux-x64"], loaded.locate)).toEqual([]);
    const clashes = destinationClashes(loaded.recipe, ["linux-x64"], loaded.locate, [], true);
    expect(clashes.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      `22:11 file destination "app/models/Model.bin" is already used by the file at files[0].path (differs only in case, which collides on this machine's file system, which ignores case)`,
    ]);
    // This machine's temp folder is case-sensitive (Linux): the build goes on.
    expect(await ignoresCase(dir)).toBe(false);
    expect(await hostCaseProblems(loaded, "linux-x64", join(dir, "dist"))).toBeUndefined();
  });
});
