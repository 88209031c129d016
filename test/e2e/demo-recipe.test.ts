import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRecipe } from "../../src/recipe/load.ts";
import { DEMO_RECIPE, demoCheckpoint, demoRecipeOf, generatedRecipe, indexFiles, makeDemoRepos, type DemoWorld } from "../../src/demo/world.ts";
import { DEMO_APPS } from "../../src/demo/apps.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { writeFile } from "node:fs/promises";

describe("recipes/demo.yml", () => {
  it("is a valid recipe that `bundle plan` accepts as it is", async () => {
    const r = await runCli(["plan", "recipes/demo.yml", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).bundle).toBe("greenbundle-demo-1.0.0-linux-x64");
  });

  it("pins the commits and the checkpoint that the demo world makes, on every machine", async () => {
    const commits = await makeDemoRepos(join(await tempDir("gb-demo-repos-"), "git"));
    const { recipe } = await loadRecipe(DEMO_RECIPE);
    const hint = `update recipes/demo.yml: app ${commits.app}, extension ${commits.extension}`;
    expect(recipe.repos[0]!.commit, hint).toBe(commits.app);
    expect(recipe.extensions!.items[0]!.commit, hint).toBe(commits.extension);
    const ckpt = demoCheckpoint();
    expect(recipe.files[0]).toMatchObject({ sha256: createHash("sha256").update(ckpt).digest("hex"), size: ckpt.length });
  });

  it("is extended by the generated recipe, which replaces the placeholder mirrors and keeps the rest", async () => {
    const world = {
      mirrors: { pypi: ["http://127.0.0.1:1/simple"], github: ["http://127.0.0.1:2"], huggingface: ["http://127.0.0.1:3/hf"], python: ["http://127.0.0.1:3/python"], node: ["http://127.0.0.1:3/node"] },
      python: { version: "3.11.9", url: "mirror://python/python-3.11.9-linux-x64.tar.gz", sha256: "a".repeat(64), size: 10, relocation: "wrapper" },
      node: { version: "24.1.0", url: "mirror://node/v24.1.0/node-v24.1.0-linux-x64.tar.gz", sha256: "b".repeat(64), size: 20 },
      commits: { app: "c".repeat(40), extension: "d".repeat(40) },
    } as unknown as DemoWorld;
    const dir = await tempDir("gb-demo-gen-");
    const file = join(dir, "demo.yml");
    await writeFile(join(dir, "reqs.txt"), "gb-demo-palette==1.0.0\n");
    await writeFile(file, generatedRecipe(world, { base: DEMO_RECIPE, requirements: join(dir, "reqs.txt"), lock: join(dir, "demo.lock.json") }));
    const { recipe } = await loadRecipe(file);
    expect(recipe.mirrors.pypi).toEqual(["http://127.0.0.1:1/simple"]);
    expect(recipe.python).toMatchObject({ version: "3.11.9", "linux-x64": { sha256: "a".repeat(64) } });
    expect(recipe.launcher.node["linux-x64"]).toMatchObject({ url: "mirror://node/v24.1.0/node-v24.1.0-linux-x64.tar.gz" });
    expect(recipe.repos[0]!.commit).toBe("c".repeat(40));
    expect(recipe.verify).toMatchObject({ api: "a1111", txt2img: { width: 384, height: 256 } });
    expect(recipe.launcher.command).toContain("--api-server-stop");
  });
});

describe("recipes/demo-comfyui.yml and recipes/demo-script.yml", () => {
  it.each(["comfyui", "script"] as const)("the %s demo plans as it is and pins the commits and the checkpoint the demo world makes", async (app) => {
    const file = demoRecipeOf(app);
    const r = await runCli(["plan", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const commits = await makeDemoRepos(join(await tempDir("gb-demo-repos-"), "git"));
    const { recipe } = await loadRecipe(file);
    const spec = DEMO_APPS[app];
    const pins = [...spec.repos.map((x, i) => [recipe.repos[i]!.commit, commits[x.repo], x.repo]), ...(spec.extensions?.items ?? []).map((x, i) => [recipe.extensions!.items[i]!.commit, commits[x.repo], x.repo])];
    for (const [pinned, made, repo] of pins) expect(pinned, `update ${file}: ${repo} is at ${made}`).toBe(made);
    const ckpt = demoCheckpoint();
    expect(recipe.files[0]).toMatchObject({ sha256: createHash("sha256").update(ckpt).digest("hex"), size: ckpt.length });
  });

  it("is extended by the generated recipe of its app, with the world's commits for its repositories and custom nodes", async () => {
    const world = {
      mirrors: { pypi: ["http://127.0.0.1:1/simple"], github: ["http://127.0.0.1:2"], huggingface: ["http://127.0.0.1:3/hf"], python: ["http://127.0.0.1:3/python"], node: ["http://127.0.0.1:3/node"] },
      python: { version: "3.11.9", url: "mirror://python/python-3.11.9-linux-x64.tar.gz", sha256: "a".repeat(64), size: 10, relocation: "wrapper" },
      node: { version: "24.1.0", url: "mirror://node/v24.1.0/node-v24.1.0-linux-x64.tar.gz", sha256: "b".repeat(64), size: 20 },
      commits: { app: "c".repeat(40), extension: "d".repeat(40), comfyui: "e".repeat(40), comfyNodes: "f".repeat(40), script: "1a".repeat(20) },
    } as unknown as DemoWorld;
    const dir = await tempDir("gb-demo-gen-");
    await writeFile(join(dir, "reqs.txt"), "gb-demo-palette==1.0.0\n");
    const paths = { base: demoRecipeOf("comfyui"), requirements: join(dir, "reqs.txt"), lock: join(dir, "demo.lock.json") };
    await writeFile(join(dir, "comfy.yml"), generatedRecipe(world, paths, "comfyui"));
    const comfy = (await loadRecipe(join(dir, "comfy.yml"))).recipe;
    expect(comfy.repos).toEqual([expect.objectContaining({ path: "ComfyUI", commit: "e".repeat(40) })]);
    expect(comfy.extensions).toEqual({ dir: "ComfyUI/custom_nodes", items: [expect.objectContaining({ name: "gb-demo-nodes", commit: "f".repeat(40) })] });
    expect(comfy.verify).toMatchObject({ api: "comfyui" });
    await writeFile(join(dir, "script.yml"), generatedRecipe(world, { ...paths, base: demoRecipeOf("script") }, "script"));
    const script = (await loadRecipe(join(dir, "script.yml"))).recipe;
    expect(script.repos).toEqual([expect.objectContaining({ path: "stablediffusion", commit: "1a".repeat(20) })]);
    expect(script.extensions).toBeUndefined();
    expect(script.launcher.ready).toBeUndefined();
  });
});

describe("the demo world's package index", () => {
  it("serves the generated wheel alone on a machine without Debian's wheel packages", async () => {
    const r = await indexFiles(await tempDir("gb-no-wheels-"));
    expect(r.requirements).toEqual(["gb-demo-palette==1.0.0"]);
    expect(r.files.map((f) => f.filename)).toEqual(["gb_demo_palette-1.0.0-py3-none-any.whl"]);
  });

  it("adds the real pip, setuptools and wheel wheels it finds, pinned to their versions", async () => {
    const dir = await tempDir("gb-wheels-");
    for (const n of ["pip-23.0.1-py3-none-any.whl", "setuptools-66.1.1-py3-none-any.whl", "README", "six-1.0-py3-none-any.whl"]) await writeFile(join(dir, n), "zip bytes");
    const r = await indexFiles(dir);
    expect(r.requirements).toEqual(["gb-demo-palette==1.0.0", "pip==23.0.1", "setuptools==66.1.1"]);
    expect(r.real).toEqual(["pip-23.0.1-py3-none-any.whl", "setuptools-66.1.1-py3-none-any.whl"]);
  });
});
