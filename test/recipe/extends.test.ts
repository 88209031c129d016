// `extends`: deep merge with the child winning, and errors pointing at the file a value came from.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadRecipe, deepMerge } from "../../src/recipe/load.ts";
import { BundleError } from "../../src/core/errors.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BASE } from "./base-recipe.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-extends-");
  await mkdir(join(dir, "base"), { recursive: true });
  await writeFile(join(dir, "base", "parent.yml"), BASE.join("\n") + "\n");
  await writeFile(join(dir, "base", "reqs.txt"), "six==1.16.0\n");
});

describe("extends", () => {
  it("deep-merges the child over the parent: mappings merge, lists and scalars replace, null deletes", () => {
    expect(deepMerge({ a: { x: 1, y: [1, 2] }, b: 1, c: 3 }, { a: { y: [3] }, b: 2, c: null })).toEqual({ a: { x: 1, y: [3] }, b: 2 });
  });

  it("loads a child that overrides the version and adds a file", async () => {
    const child = join(dir, "child.yml");
    await writeFile(
      child,
      ["extends: base/parent.yml", "version: 2.0.0", "title: Child", "files:", "  - path: extra.txt", "    text: hello"].join("\n") + "\n",
    );
    const loaded = await loadRecipe(child);
    expect(loaded.recipe.version).toBe("2.0.0");
    expect(loaded.recipe.name).toBe("demo-app");
    expect(loaded.recipe.files.map((f) => f.path)).toEqual(["extra.txt"]);
    expect(loaded.recipe.repos[0]!.path).toBe("app");
    expect(loaded.locate(["version"]).file).toBe(child.startsWith(process.cwd()) ? child.slice(process.cwd().length + 1) : child);
    expect(loaded.locate(["repos", 0, "commit"]).file).toMatch(/parent\.yml$/);
  });

  it("resolves a relative file against the recipe that names it", async () => {
    const parent = join(dir, "base", "with-wheels.yml");
    await writeFile(parent, ["extends: parent.yml", "wheels:", "  indexes: [files]", "  requirements: reqs.txt"].join("\n") + "\n");
    const child = join(dir, "child2.yml");
    await writeFile(child, "extends: base/with-wheels.yml\nversion: 3.0.0\n");
    const loaded = await loadRecipe(child);
    expect(loaded.resolveFile(["wheels", "requirements"], "reqs.txt")).toBe(join(dir, "base", "reqs.txt"));
  });

  it("reports an error in an inherited value at the parent's file, line and column", async () => {
    await writeFile(join(dir, "base", "bad-parent.yml"), BASE.map((l, i) => (i === 16 ? "    commit: deadbeef" : l)).join("\n") + "\n");
    const child = join(dir, "child3.yml");
    await writeFile(child, "extends: base/bad-parent.yml\nversion: 3.0.0\n");
    const r = await runCli(["plan", child]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "base", "bad-parent.yml")}:17:13: error: "deadbeef" is not a full commit SHA`);
  });

  it("reports an error in the child's own value at the child's position", async () => {
    const child = join(dir, "child4.yml");
    await writeFile(child, "extends: base/parent.yml\nversion: 3.0.0\nplatforms: [win-x64, macos]\n");
    const r = await runCli(["plan", child]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${child}:3:22: error: unknown platform "macos"`);
  });

  it("rejects a missing parent and a cycle", async () => {
    const missing = join(dir, "missing.yml");
    await writeFile(missing, "extends: nowhere.yml\n");
    await expect(loadRecipe(missing)).rejects.toThrow(BundleError);
    const r = await runCli(["plan", missing]);
    expect(r.stderr).toContain(`${missing}:1:10: error: extends names nowhere.yml, which does not exist`);
    const a = join(dir, "a.yml");
    const b = join(dir, "b.yml");
    await writeFile(a, "extends: b.yml\n");
    await writeFile(b, "extends: a.yml\n");
    const rc = await runCli(["plan", a]);
    expect(rc.code).toBe(2);
    expect(rc.stderr).toMatch(/b\.yml:1:10: error: extends cycle/);
  });
});
