// Source-only packages: built once with the host's Python through `pip wheel --no-deps
// --no-build-isolation`, with build requirements pinned by the recipe on PYTHONPATH (here a tiny
// PEP 517 backend shipped as a generated wheel, so the test needs neither network nor the host's
// setuptools), cached by the sdist's sha256, refused when not pure and the target is not the host.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packTarGz } from "../../src/demo/runtime.ts";
import { writeWheel } from "../../src/demo/wheels.ts";
import { lockRecipe } from "../../src/python/lock.ts";
import { buildSdist, hostInfo } from "../../src/python/sdist.ts";
import { makeTarget } from "../../src/python/target.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { tempDir } from "../helpers/tmp.ts";
import { fileServer, indexOf, NODE_LINUX, NODE_WIN, writeRecipe } from "./world.ts";

const BACKEND = `
import base64, hashlib, json, os, sys, zipfile
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open("gb-build.json") as f:
        c = json.load(f)
    tag = c.get("tag", "py3-none-any")
    if tag == "native":
        py = "cp%d%d" % sys.version_info[:2]
        tag = py + "-" + py + "-linux_x86_64"
    dist = c["name"].replace("-", "_")
    files = {}
    for root, _, names in os.walk(c["package"]):
        for n in sorted(names):
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[p.replace(os.sep, "/")] = f.read()
    di = "%s-%s.dist-info" % (dist, c["version"])
    md = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (c["name"], c["version"])
    md += "".join("Requires-Dist: %s\\n" % r for r in c.get("requires", []))
    files[di + "/METADATA"] = md.encode()
    pure = "true" if tag.endswith("-none-any") else "false"
    files[di + "/WHEEL"] = ("Wheel-Version: 1.0\\nGenerator: gb-backend\\nRoot-Is-Purelib: %s\\nTag: %s\\n" % (pure, tag)).encode()
    rows = []
    for p, b in files.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        rows.append("%s,sha256=%s,%d" % (p, h, len(b)))
    rows.append(di + "/RECORD,,")
    files[di + "/RECORD"] = ("\\n".join(rows) + "\\n").encode()
    name = "%s-%s-%s.whl" % (dist, c["version"], tag)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, b in files.items():
            z.writestr(zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0)), b)
    return name
`;
const BACKEND_WHEEL = { name: "gb-backend", version: "1.0", files: { "gb_backend.py": BACKEND } };

async function makeSdist(dir: string, name: string, cfg: Record<string, unknown>): Promise<{ path: string; sha256: string; filename: string }> {
  const top = `${name}-1.0`;
  const src = join(dir, "src", top);
  await mkdir(join(src, name), { recursive: true });
  await writeFile(join(src, name, "__init__.py"), `NAME = "${name}"\n`);
  await writeFile(join(src, "pyproject.toml"), '[build-system]\nrequires = ["gb-backend"]\nbuild-backend = "gb_backend"\n');
  await writeFile(join(src, "gb-build.json"), JSON.stringify({ name, version: "1.0", package: name, ...cfg }));
  const filename = `${top}.tar.gz`;
  const path = join(dir, filename);
  await packTarGz(join(dir, "src"), top, path);
  const { readFile } = await import("node:fs/promises");
  return { path, filename, sha256: createHash("sha256").update(await readFile(path)).digest("hex") };
}

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
