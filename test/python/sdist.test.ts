// Source-only packages: built once with the host's Python through `pip wheel --no-deps
// --no-build-isolation`, with build requirements pinned by the recipe on PYTHONPATH (here a tiny
// PEP 517 backend shipped as a generated wheel, so the test needs neither network nor the host's
// setuptools), cached by the sdist's sha256, refused when not pure and the target is not the host.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeWheel } from "../../src/demo/wheels.ts";
import { lockRecipe } from "../../src/lock/lock.ts";
import { buildSdist, hostInfo } from "../../src/python/sdist.ts";
import { makeTarget } from "../../src/python/target.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { tempDir } from "../helpers/tmp.ts";
import { BACKEND_WHEEL, makeSdist } from "./sdist-fixture.ts";
import { fileServer, indexOf, NODE_LINUX, NODE_WIN, writeRecipe } from "./world.ts";

let dir: string;
let backend: string;
let host: Awaited<ReturnType<typeof hostInfo>>;
beforeAll(async () => {
  dir = await tempDir("gb-sdist-");
  backend = (await writeWheel(join(dir, "wheels"), BACKEND_WHEEL)).path;
  host = await hostInfo("python3");
});

describe("building sdists", () => {
  it("builds a pure sdist once with the host Python and its pinned build requirements, then takes it from the cache by the sdist's sha256", async () => {
    const s = await makeSdist(dir, "srconly", { requires: ["beta>=1.0"] });
    const cacheDir = await tempDir();
    const args = { sdist: s.path, sdistSha256: s.sha256, sdistFilename: s.filename, name: "srconly", version: "1.0", target: makeTarget("win-x64", "3.10.6"), cacheDir, buildWheels: [backend] };
    const first = await buildSdist(args);
    expect(first).toMatchObject({ filename: "srconly-1.0-py3-none-any.whl", cached: false });
    expect(await buildSdist(args)).toMatchObject({ filename: first.filename, sha256: first.sha256, cached: true });
  });

  it("fails with pip's output when a build requirement is missing", async () => {
    const s = await makeSdist(dir, "needsbackend", {});
    const err = await buildSdist({ sdist: s.path, sdistSha256: s.sha256, sdistFilename: s.filename, name: "needsbackend", version: "1.0", target: makeTarget("linux-x64", "3.10.6"), cacheDir: await tempDir() }).then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: "BUILD" });
    expect(err?.message).toMatch(/^building needsbackend==1\.0 from needsbackend-1\.0\.tar\.gz failed \(pip wheel exit \d+\):\n[\s\S]*No module named 'gb_backend'/);
  });

  it("refuses a wheel that is not pure Python when the target is not the host platform, or does not fit it", async () => {
    const s = await makeSdist(dir, "nativeish", { tag: "native" });
    const base = { sdist: s.path, sdistSha256: s.sha256, sdistFilename: s.filename, name: "nativeish", version: "1.0", cacheDir: await tempDir(), buildWheels: [backend] };
    const nodot = host.version.split(".").slice(0, 2).join("");
    await expect(buildSdist({ ...base, target: makeTarget("win-x64", "3.10.6") })).rejects.toThrow(
      `nativeish==1.0 is not pure Python: building it on this linux-x64 machine gave nativeish-1.0-cp${nodot}-cp${nodot}-linux_x86_64.whl, which cannot go into a win-x64 bundle`,
    );
    await expect(buildSdist({ ...base, target: makeTarget("linux-x64", "3.9.18") })).rejects.toThrow(/does not fit the target: built for cp3\d+; cp39 needed/);
    expect((await buildSdist({ ...base, target: makeTarget("linux-x64", host.version) })).filename).toBe(`nativeish-1.0-cp${nodot}-cp${nodot}-linux_x86_64.whl`);
  });

  it("is part of `bundle lock`: the sdist hash pinned, build requirements resolved from the index, the built wheel recorded and its requirements checked", async () => {
    const s = await makeSdist(dir, "srcpkg", { requires: ["beta>=1.0"] });
    const { readFile } = await import("node:fs/promises");
    const files = await fileServer({ "python-embed.zip": Buffer.from("e"), "python-linux.tar.gz": Buffer.from("p"), "node-win.zip": NODE_WIN, "node-linux.tar.gz": NODE_LINUX, [s.filename]: await readFile(s.path) });
    const index = await indexOf([BACKEND_WHEEL, { name: "beta", version: "1.2" }]);
    const recipe = await writeRecipe({
      mirrors: { pypi: [index.simple] }, files, requirements: ["srcpkg==1.0", "beta==1.2"], buildRequires: ["gb-backend==1.0"],
      packages: { srcpkg: { sdist: `mirror://files/${s.filename}`, sha256: "lock" } },
    });
    const r = await lockRecipe({ loaded: await loadRecipe(recipe), cacheDir: await tempDir() });
    const lp = r.lock.platforms["win-x64"]!;
    expect(lp.artifacts["sdist:srcpkg"]).toMatchObject({ sha256: s.sha256 });
    expect(lp.artifacts["build:gb-backend"]!.url).toMatch(/gb_backend-1\.0-py3-none-any\.whl$/);
    expect(lp.wheels.find((w) => w.name === "srcpkg")).toMatchObject({ index: "sdist", filename: "srcpkg-1.0-py3-none-any.whl", sdist_sha256: s.sha256, requires: ["beta>=1.0"] });
    expect(r.stats[0]!.metadata).toEqual({ sdist: 1, range: 1 });
  });
});
