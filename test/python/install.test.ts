// The wheel installer without the target Python: layout per target, .data mapping, RECORD last,
// relocatable launchers, and refusals (zip-slip, clashes naming both wheels, a RECORD that lies).
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeWheel, type WheelSpec } from "../../src/demo/wheels.ts";
import { installWheels } from "../../src/python/install.ts";
import { parseRecord } from "../../src/python/metadata.ts";
import { makeTarget } from "../../src/python/target.ts";
import { tempDir } from "../helpers/tmp.ts";
import { debianWheels } from "./world.ts";

const win = makeTarget("win-x64", "3.10.6");
const linux = makeTarget("linux-x64", "3.10.6");

async function install(specs: WheelSpec[], target = linux, root?: string) {
  const dir = await tempDir("gb-install-");
  const wheels = [];
  for (const s of specs) {
    const w = await writeWheel(join(dir, "wheels"), s);
    wheels.push({ path: w.path, filename: w.filename });
  }
  const bundle = root ?? join(dir, "bundle");
  return { bundle, installed: await installWheels(wheels, { root: bundle, target }) };
}

const FULL: WheelSpec = {
  name: "Full.Pkg",
  version: "2.0",
  tag: "cp310-cp310-win_amd64",
  files: { "full_pkg/__init__.py": "def main():\n    return 0\n", "full_pkg/_native.pyd": Buffer.from([0x4d, 0x5a, 0, 1]) },
  data: { scripts: { "full-raw": "#!python\nprint('raw')\n" }, data: { "share/full/x.txt": "x" }, headers: { "full.h": "/* h */" }, purelib: { "full_pure.py": "P = 1\n" } },
  entryPoints: { console_scripts: { "full-cli": "full_pkg:main" }, gui_scripts: { "full-gui": "full_pkg:main" } },
  license: "BSD-3-Clause",
};

describe("installWheels", () => {
  it("lays out a win-x64 tree: Lib/site-packages, Scripts with .cmd launchers, .data onto the scheme, RECORD last", async () => {
    const { bundle, installed } = await install([FULL], win);
    expect(installed).toMatchObject([{ name: "full-pkg", version: "2.0", distInfo: "python/Lib/site-packages/Full_Pkg-2.0.dist-info", metadata: { license: "BSD-3-Clause" } }]);
    const site = join(bundle, "python/Lib/site-packages");
    expect((await readdir(site)).sort()).toEqual(["Full_Pkg-2.0.dist-info", "full_pkg", "full_pure.py"]);
    expect(await readFile(join(bundle, "python/share/full/x.txt"), "utf8")).toBe("x");
    expect(await readFile(join(bundle, "python/Include/site/python3.10/full.h"), "utf8")).toBe("/* h */");
    expect((await readdir(join(bundle, "python/Scripts"))).sort()).toEqual(["full-cli-script.py", "full-cli.cmd", "full-gui-script.pyw", "full-gui.cmd", "full-raw"]);
    expect(await readFile(join(bundle, "python/Scripts/full-cli.cmd"), "utf8")).toBe('@echo off\r\n"%~dp0..\\python.exe" "%~dp0full-cli-script.py" %*\r\n');
    expect(await readFile(join(bundle, "python/Scripts/full-gui.cmd"), "utf8")).toContain('"%~dp0..\\pythonw.exe"');
    expect(await readFile(join(bundle, "python/Scripts/full-cli-script.py"), "utf8")).toContain("from full_pkg import main\n");
    // nothing written holds the build machine's paths
    for (const f of await readdir(join(bundle, "python/Scripts"))) expect(await readFile(join(bundle, "python/Scripts", f), "utf8")).not.toContain(bundle);
    const info = join(site, "Full_Pkg-2.0.dist-info");
    expect(await readFile(join(info, "INSTALLER"), "utf8")).toBe("greenbundle\n");
    const rows = parseRecord(await readFile(join(info, "RECORD"), "utf8"));
    expect(rows.at(-1)).toEqual({ path: "Full_Pkg-2.0.dist-info/RECORD", hash: "", size: "" });
    expect(rows.map((r) => r.path)).toContain("../../Scripts/full-cli.cmd");
    expect(rows.map((r) => r.path)).toContain("../../share/full/x.txt");
    // RECORD is the completion marker: not older than any file it lists
    const recordTime = (await stat(join(info, "RECORD"))).mtimeMs;
    for (const r of rows.slice(0, -1)) expect((await stat(join(site, r.path))).mtimeMs).toBeLessThanOrEqual(recordTime);
  });

  it("gives Linux scripts a relocatable shebang and keeps executable bits", async () => {
    const { bundle } = await install([{ ...FULL, tag: "cp310-cp310-manylinux2014_x86_64" }], linux);
    const cli = await readFile(join(bundle, "python/bin/full-cli"), "utf8");
    expect(cli.split("\n").slice(0, 3)).toEqual(["#!/bin/sh", `'''exec' "$(dirname -- "$(realpath -- "$0")")/python3" "$0" "$@"`, "' '''"]);
    expect((await readFile(join(bundle, "python/bin/full-raw"), "utf8")).startsWith("#!/bin/sh\n'''exec'")).toBe(true);
    expect((await stat(join(bundle, "python/bin/full-cli"))).mode & 0o111).toBe(0o111);
    expect((await readdir(join(bundle, "python/lib/python3.10/site-packages"))).sort()).toEqual(["Full_Pkg-2.0.dist-info", "full_pkg", "full_pure.py"]);
  });

  it("installs Debian's real pip, setuptools (and wheel) with their entry points", async () => {
    const dir = await tempDir();
    const wheels = debianWheels();
    const out = await installWheels(wheels, { root: dir, target: win });
    expect(out.map((d) => d.name)).toEqual(wheels.map((w) => w.name));
    expect(out.find((d) => d.name === "pip")!.scripts).toContain("python/Scripts/pip.cmd");
    expect(await stat(join(dir, "python/Lib/site-packages/distutils-precedence.pth"))).toBeTruthy();
  });

  it("refuses a zip-slip entry before writing anything", async () => {
    const err = await install([{ name: "evil", version: "1.0", files: { "evil/__init__.py": "" }, escaping: { "../../../outside.py": "x" } }]).then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: "ARCHIVE", message: expect.stringMatching(/^evil-1\.0-py3-none-any\.whl: entry "\.\.\/\.\.\/\.\.\/outside\.py" contains '\.\.'/) });
  });

  it("refuses an entry point whose name would put a launcher outside the scripts folder", async () => {
    const err = await install([{ name: "sneaky", version: "1", files: { "s.py": "def f(): pass\n" }, entryPoints: { console_scripts: { "../../evil": "s:f" } } }]).then(() => undefined, (e: Error) => e);
    expect(err?.message).toBe('sneaky-1-py3-none-any.whl: entry point "../../evil" is not a plain file name');
  });

  it("fails naming both wheels when two would write the same file, before writing any", async () => {
    const dir = await tempDir();
    const err = await install(
      [
        { name: "opencv-python", version: "4.8", files: { "cv2/__init__.py": "a" } },
        { name: "opencv-python-headless", version: "4.8", files: { "cv2/__init__.py": "b" } },
      ],
      linux,
      join(dir, "b"),
    ).then(() => undefined, (e: Error) => e);
    expect(err?.message).toBe('wheels would overwrite each other\'s files: "python/lib/python3.10/site-packages/cv2/__init__.py" is in both opencv_python-4.8-py3-none-any.whl and opencv_python_headless-4.8-py3-none-any.whl');
    await expect(stat(join(dir, "b"))).rejects.toThrow();
  });

  it("treats names that differ only in case as the same file on win-x64", async () => {
    const err = await install([{ name: "a", version: "1", files: { "Mod/x.py": "" } }, { name: "b", version: "1", files: { "mod/X.py": "" } }], win).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/"python\/Lib\/site-packages\/mod\/X\.py" is in both a-1-py3-none-any\.whl and b-1-py3-none-any\.whl/);
  });

  it("refuses a wheel whose RECORD does not match its files, or that has none", async () => {
    const bad = await install([{ name: "liar", version: "1", files: { "liar/__init__.py": "real content" }, record: "tampered" }]).then(() => undefined, (e: Error) => e);
    expect(bad?.message).toBe('liar-1-py3-none-any.whl: "liar/__init__.py" does not match the hash in the wheel\'s RECORD');
    const none = await install([{ name: "norecord", version: "1", files: { "n.py": "" }, record: "missing" }]).then(() => undefined, (e: Error) => e);
    expect(none?.message).toMatch(/norecord-1-py3-none-any\.whl: norecord-1\.dist-info lacks RECORD/);
  });

  it("refuses to overwrite a file another stage already put there, and replaces an older install of the same project", async () => {
    const dir = await tempDir();
    const root = join(dir, "b");
    await install([{ name: "thing", version: "1.0", files: { "thing/__init__.py": "v1", "thing/old.py": "" } }], linux, root);
    await install([{ name: "thing", version: "2.0", files: { "thing/__init__.py": "v2" } }], linux, root);
    const site = join(root, "python/lib/python3.10/site-packages");
    expect((await readdir(site)).sort()).toEqual(["thing", "thing-2.0.dist-info"]);
    expect(await readdir(join(site, "thing"))).toEqual(["__init__.py"]);
    await mkdir(join(site, "other"), { recursive: true });
    await writeFile(join(site, "other/__init__.py"), "runtime's own");
    const err = await install([{ name: "other", version: "1", files: { "other/__init__.py": "" } }], linux, root).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/other-1-py3-none-any\.whl would overwrite "python\/lib\/python3\.10\/site-packages\/other\/__init__\.py", which is already in the bundle/);
  });
});
