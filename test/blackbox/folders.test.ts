// Output and cache folders that cannot be used: a file where the folder must go. Each command
// says which folder and why, before downloading anything, with exit code 1 (2 for cache's own
// argument), and never an internal error.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { whyUnwritable } from "../../src/core/fs.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BASE_LINES } from "./recipe-text.ts";

let dir: string;
let recipe: string;
let aFile: string;

beforeAll(async () => {
  dir = await tempDir("gb-folders-");
  recipe = join(dir, "r.yml");
  // Every URL of the recipe names a host that does not exist: reaching the network would fail differently.
  await writeFile(recipe, BASE_LINES.join("\n") + "\n");
  aFile = join(dir, "a-file");
  await writeFile(aFile, "not a folder\n");
});

describe("folders that cannot be used", () => {
  it("build: --out that is a file is named before any download", async () => {
    const r = await runCli(["build", recipe, "--out", aFile, "--cache", join(dir, "cache"), "--format", "dir"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot write the output folder ${aFile}: it (or a folder above it) is a file\nhint: choose another with --out DIR`);
    expect(r.stderr).not.toMatch(/internal error|GET /);
  });

  it("build: --out under a file is named the same way", async () => {
    const r = await runCli(["build", recipe, "--out", join(aFile, "dist"), "--cache", join(dir, "cache"), "--format", "dir"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write the output folder ${join(aFile, "dist")}: it (or a folder above it) is a file`);
  });

  it("fetch: a --cache that is a file is one error, not one errno per download", async () => {
    const r = await runCli(["fetch", recipe, "--cache", aFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot use the cache folder ${aFile}: it (or a folder above it) is a file\n`);
    expect(r.stderr.match(/cannot use the cache folder/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/internal error|ENOTDIR|GET /);
  });

  it.each(["ls", "verify"])("cache %s: a --cache that is a file is a usage error, not an empty cache", async (action) => {
    const r = await runCli(["cache", action, "--cache", aFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: the cache folder ${aFile} is a file`);
  });

  it("explains a folder that cannot be made under a file without a bare errno", async () => {
    expect(await whyUnwritable(join(aFile, "x", "y"), Object.assign(new Error("x"), { code: "ENOTDIR" }))).toBe("it (or a folder above it) is a file");
  });
});

describe("bundle demo with an --out that is a file", () => {
  it.skipIf(process.platform !== "linux" || process.arch !== "x64")("says so before starting the local world (the demo runs on linux-x64 only)", async () => {
    const r = await runCli(["demo", "--out", aFile, "--cache", join(dir, "cache")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot write the output folder ${aFile}: it (or a folder above it) is a file`);
    expect(r.stderr).not.toContain("demo: world");
  });
});
