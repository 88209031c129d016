// linux-x64 for real: a relocatable CPython made from the host's Python, wheels installed into it,
// the folder moved to a path with spaces and CJK characters, then packages imported and console
// scripts run from there.
import { execa } from "execa";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hasPatchelf, hostPython, makeRuntime, packTarGz, type MadeRuntime } from "../../src/demo/runtime.ts";
import { writeWheel } from "../../src/demo/wheels.ts";
import { installWheels } from "../../src/python/install.ts";
import { unpackRuntime } from "../../src/python/runtime.ts";
import { makeTarget } from "../../src/python/target.ts";
import { tempDir } from "../helpers/tmp.ts";
import { debianWheels } from "./world.ts";

const debian = debianWheels();
const patchelf = await hasPatchelf();
// Debian's own python3 links libpython statically: then no libpython may be loaded at all (none
// of the build machine's), and with a shared one (pyenv, python.org builds) only the bundle's.
const host = await hostPython();
const ownLib = (bundle: string) => (host.soname ? [join(bundle, "python/lib", host.soname)] : []);

let dir: string;
let wrapper: MadeRuntime;
let version: string;

beforeAll(async () => {
  dir = await tempDir("gb-linux-rt-");
  wrapper = await makeRuntime({ out: join(dir, "wrapper.tar.gz"), relocate: "wrapper" });
  version = wrapper.version;
});

async function libpythonOf(bundle: string): Promise<string[]> {
  const r = await execa(join(bundle, "python/bin/python3"), ["-c", "print(open('/proc/self/maps').read())"]);
  return [...new Set(r.stdout.split("\n").filter((l) => l.includes("libpython")).map((l) => l.trim().split(/\s+/).slice(5).join(" ")))];
}

describe("linux-x64 runtime made from the host Python", () => {
  it("loads its own libpython through the wrapper, not the build machine's (no patchelf needed)", async () => {
    const bundle = join(dir, "wrapped");
    await unpackRuntime({ archive: wrapper.path, root: bundle, target: makeTarget("linux-x64", version) });
    expect(await libpythonOf(bundle)).toEqual(ownLib(bundle));
  });

  it.skipIf(!patchelf)("loads its own libpython through RUNPATH $ORIGIN/../lib when patchelf is installed", async () => {
    const made = await makeRuntime({ out: join(dir, "patched.tar.gz"), relocate: "patchelf" });
    const bundle = join(dir, "patched");
    await unpackRuntime({ archive: made.path, root: bundle, target: makeTarget("linux-x64", version) });
    expect(await libpythonOf(bundle)).toEqual(ownLib(bundle));
  });

  it("gives python-build-standalone's own scripts (pip3 with #!/install/bin/python3) the relocatable header", async () => {
    const src = join(dir, "pbs-src");
    await mkdir(join(src, "python/bin"), { recursive: true });
    await mkdir(join(src, "python/lib/python3.10"), { recursive: true });
    await writeFile(join(src, "python/bin/pip3"), "#!/install/bin/python3\nimport sys\n", { mode: 0o755 });
    await writeFile(join(src, "python/bin/other"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    await packTarGz(src, "python", join(dir, "pbs.tar.gz"));
    const bundle = join(dir, "pbs-bundle");
    await unpackRuntime({ archive: join(dir, "pbs.tar.gz"), root: bundle, target: makeTarget("linux-x64", "3.10.6") });
    expect(await readFile(join(bundle, "python/bin/pip3"), "utf8")).toBe(`#!/bin/sh\n'''exec' "$(dirname -- "$(realpath -- "$0")")/python3" "$0" "$@"\n' '''\nimport sys\n`);
    expect(await readFile(join(bundle, "python/bin/other"), "utf8")).toBe("#!/bin/sh\necho hi\n");
    await expect(unpackRuntime({ archive: join(dir, "pbs.tar.gz"), root: join(dir, "pbs-311"), target: makeTarget("linux-x64", "3.11.7") })).rejects.toThrow(/has no lib\/python3\.11: it is not CPython 3\.11\.7/);
  });

  it("runs installed packages and console scripts after the folder moves to a path with spaces and CJK characters", async () => {
    const target = makeTarget("linux-x64", version);
    const built = join(dir, "build", "bundle");
    await unpackRuntime({ archive: wrapper.path, root: built, target });
    const gen = join(dir, "wheels");
    const demo = await writeWheel(gen, {
      name: "gb-demo",
      version: "1.0",
      files: { "gb_demo/__init__.py": "def hello():\n    import sys\n    print('hello from', sys.prefix)\n    return 0\n" },
      entryPoints: { console_scripts: { "gb-hello": "gb_demo:hello" } },
      data: { scripts: { "gb-raw": "#!python\nimport sys\nprint('raw script', sys.version_info[0])\n" }, data: { "share/gb-demo/readme.txt": "data file\n" } },
    });
    const installed = await installWheels([...debian, { path: demo.path, filename: demo.filename }], { root: built, target });
    expect(installed.map((d) => d.name)).toEqual(["gb-demo", ...debian.map((w) => w.name)]);

    const moved = join(dir, "x", "整合 包 测试");
    await mkdir(join(dir, "x"), { recursive: true });
    await rename(built, moved);
    const py = join(moved, "python/bin/python3");
    // setuptools first: importing pip first switches off setuptools' distutils shim (by design, pypa/pip#8761)
    const imp = await execa(py, ["-c", "import setuptools, pip, gb_demo, sys; print(pip.__file__); print(sys.prefix)"]);
    expect(imp.stdout.split("\n")).toEqual([join(moved, "python/lib/python3.11/site-packages/pip/__init__.py"), join(moved, "python")]);
    expect((await execa(join(moved, "python/bin/gb-hello"))).stdout).toBe(`hello from ${join(moved, "python")}`);
    expect((await execa(join(moved, "python/bin/gb-raw"))).stdout).toBe("raw script 3");
    expect((await execa(join(moved, "python/bin/pip"), ["--version"])).stdout).toContain(join(moved, "python/lib/python3.11/site-packages/pip"));
    expect(await readFile(join(moved, "python/share/gb-demo/readme.txt"), "utf8")).toBe("data file\n");
    // pip itself recognises what we installed (INSTALLER, RECORD)
    const list = await execa(py, ["-m", "pip", "list", "--disable-pip-version-check", "--format=freeze", "--isolated", "--no-index"]);
    expect(list.stdout).toContain("gb-demo==1.0");
  });
});
