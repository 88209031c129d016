// buildPythonTree end to end: recipe → bundle lock (loopback index) → plan → fetch → python/.
// win-x64 is checked structurally on this Linux host (embeddable-zip stand-in, ._pth, Scripts);
// linux-x64 for real with a runtime made from the host's Python, then moved and run.
import { execa } from "execa";
import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeEmbeddableStub, makeRuntime } from "../../src/demo/runtime.ts";
import type { WheelSpec } from "../../src/demo/wheels.ts";
import { fetchAll } from "../../src/fetch/index.ts";
import { planRequests } from "../../src/plan/requests.ts";
import { makePlan } from "../../src/plan/plan.ts";
import { buildPythonTree } from "../../src/assemble/python-tree.ts";
import { lockRecipe } from "../../src/lock/lock.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { tempDir } from "../helpers/tmp.ts";
import { debianWheel, debianWheels, fileServer, indexOf, NODE_LINUX, NODE_WIN, writeRecipe } from "./world.ts";

const debianFiles = await Promise.all(debianWheels().map(async (w) => ({ filename: w.filename, data: await readFile(w.path) })));
const pip = debianWheel("pip");
const setuptools = debianWheel("setuptools");

const twin = (py: string, plat: string): WheelSpec => ({
  name: "twin", version: "1.0", tag: `${py}-${py}-${plat}`, license: "Apache-2.0",
  files: { "twin/__init__.py": `PLATFORM = "${plat}"\ndef main():\n    print("twin on", PLATFORM)\n    return 0\n` },
  entryPoints: { console_scripts: { twin: "twin:main" } },
});

async function buildFor(platform: "win-x64" | "linux-x64", runtime: { filename: string; data: Buffer }, version: string, wheels: WheelSpec[], requirements: string[]) {
  const files = await fileServer({ [runtime.filename]: runtime.data, "node-win.zip": NODE_WIN, "node-linux.tar.gz": NODE_LINUX });
  const index = await indexOf(wheels, {}, debianFiles);
  const recipe = await writeRecipe({
    mirrors: { pypi: [index.simple] }, files, requirements, platforms: [platform],
    python: { version, paths: ["webui", "webui/lib"], ...(platform === "win-x64" ? { win: runtime.filename } : { linux: runtime.filename }) },
  });
  const cacheDir = await tempDir("gb-tree-cache-");
  const loaded = await loadRecipe(recipe);
  await lockRecipe({ loaded, cacheDir });
  const plan = await makePlan({ loaded, platform });
  expect(plan.lock.state).toBe("fresh");
  const fetched = await fetchAll(planRequests(plan).requests, { cacheDir });
  const root = join(await tempDir("gb-tree-"), "bundle");
  const { components } = await buildPythonTree({ plan, root, fetched, cacheDir, recipe: loaded.recipe });
  return { root, components, plan };
}

describe("buildPythonTree", () => {
  it("builds a win-x64 python/ on this host: embeddable runtime, deterministic ._pth, wheels in Lib/site-packages, .cmd launchers", async () => {
    const dir = await tempDir();
    const stub = await makeEmbeddableStub("3.10.6", join(dir, "python-3.10.6-embed-amd64.zip"));
    const data = await readFile(stub.path);
    const { root, components } = await buildFor("win-x64", { filename: "python-3.10.6-embed-amd64.zip", data }, "3.10.6", [twin("cp310", "win_amd64"), twin("cp310", "manylinux2014_x86_64")], ["twin==1.0", `pip==${pip.version}`, `setuptools==${setuptools.version}`]);
    expect(await readFile(join(root, "python/python310._pth"), "utf8")).toBe(
      // `{python} -c …` from the bundle root: Python would put the working folder first
      ["# written by greenbundle: the launcher's script folder, stdlib, site-packages and the recipe's python.paths", "..", "python310.zip", ".", "Lib\\site-packages", "..\\webui", "..\\webui\\lib", "import site", ""].join("\r\n"),
    );
    expect((await readdir(join(root, "python"))).sort()).toEqual(["LICENSE.txt", "Lib", "Scripts", "_socket.pyd", "python.exe", "python3.dll", "python310._pth", "python310.dll", "python310.zip", "pythonw.exe", "vcruntime140.dll"]);
    expect((await readdir(join(root, "python/Lib/site-packages"))).sort()).toEqual(
      ["_distutils_hack", "distutils-precedence.pth", "pip", `pip-${pip.version}.dist-info`, "pkg_resources", "setuptools", `setuptools-${setuptools.version}.dist-info`, "twin", "twin-1.0.dist-info"].sort(),
    );
    expect(await readFile(join(root, "python/Lib/site-packages/twin/__init__.py"), "utf8")).toContain('PLATFORM = "win_amd64"');
    const scripts = (await readdir(join(root, "python/Scripts"))).sort();
    expect(scripts).toEqual(expect.arrayContaining(["pip.cmd", "pip-script.py", "twin.cmd", "twin-script.py"]));
    for (const s of scripts) expect(await readFile(join(root, "python/Scripts", s), "utf8")).not.toMatch(/\/tmp\/|[A-Z]:\\\\/);
    expect(components.map((c) => [c.kind, c.name, c.version, c.license])).toEqual([
      ["python", "python", "3.10.6", "PSF-2.0"],
      ["wheel", "pip", pip.version, "MIT"],
      ["wheel", "setuptools", setuptools.version, expect.stringContaining("MIT")],
      ["wheel", "twin", "1.0", "Apache-2.0"],
    ]);
    expect(components[3]).toMatchObject({ dest: "python/Lib/site-packages", url: expect.stringMatching(/\/packages\/.*\/twin-1\.0-cp310-cp310-win_amd64\.whl$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("builds a linux-x64 python/ that runs from a moved folder with spaces and CJK characters", async () => {
    const dir = await tempDir();
    const made = await makeRuntime({ out: join(dir, "cpython-install_only.tar.gz") });
    const py = `cp${made.version.split(".").slice(0, 2).join("")}`;
    const { root, components } = await buildFor("linux-x64", { filename: "cpython-install_only.tar.gz", data: await readFile(made.path) }, made.version, [twin(py, "manylinux_2_17_x86_64.manylinux2014_x86_64"), twin(py, "win_amd64")], ["twin==1.0", `pip==${pip.version}`]);
    expect(components[0]).toMatchObject({ kind: "python", version: made.version, sha256: made.sha256 });
    const moved = join(dir, "移动 后", "整合 包");
    await mkdir(join(dir, "移动 后"));
    await rename(root, moved);
    const out = await execa(join(moved, "python/bin/twin"));
    expect(out.stdout).toBe("twin on manylinux_2_17_x86_64.manylinux2014_x86_64");
    const pipVersion = await execa(join(moved, "python/bin/pip"), ["--version"]);
    expect(pipVersion.stdout).toContain(`pip ${pip.version} from ${join(moved, "python/lib")}`);
  });
});
