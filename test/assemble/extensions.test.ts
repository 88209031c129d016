import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { declaredNeeds, parseInstallPy, parseRequirementsText, unmetNeeds } from "../../src/assemble/extensions.ts";
import { makeTarget } from "../../src/python/target.ts";
import { tempDir } from "../helpers/tmp.ts";

const env = makeTarget("win-x64", "3.10.6").markers;

describe("what an extension would pip-install at first launch", () => {
  it("reads requirements.txt lines, skipping comments, options and other platforms' markers", () => {
    const text = ["# deps", "opencv-python>=4.8  # cv", "", "--extra-index-url https://x", "pywin32; sys_platform == 'win32'", "uvloop; sys_platform == 'linux'", "-r more.txt", "git+https://github.com/a/b.git#egg=bee"].join("\n");
    const r = parseRequirementsText(text, "requirements.txt", env);
    expect(r.needs.map((n) => [n.key, n.specifier, n.where])).toEqual([
      ["opencv-python", ">=4.8", "requirements.txt:2"],
      ["pywin32", "", "requirements.txt:5"],
      ["bee", "", "requirements.txt:8"],
    ]);
    expect(r.includes).toEqual(["more.txt"]);
  });

  it("finds launch.run_pip and launch.is_installed calls in install.py", () => {
    const py = [
      "import launch",
      'if not launch.is_installed("mediapipe"):',
      '    launch.run_pip("install mediapipe==0.10.3 -U", "mediapipe for x")',
      "launch.run_pip(f'install {pkg}', 'dynamic')",
      'launch.run_pip("install -r requirements-extra.txt", "extra")',
    ].join("\n");
    const r = parseInstallPy(py, "install.py", env);
    expect(r.needs.map((n) => `${n.text}@${n.where}`)).toEqual(["mediapipe==0.10.3@install.py:3", "mediapipe@install.py:2"]);
    expect(r.includes).toEqual(["requirements-extra.txt"]);
  });

  it("reports packages missing from the wheel set or at a version that does not satisfy", () => {
    const wheels = new Map([["numpy", "1.26.2"], ["pillow", "9.5.0"]]);
    const needs = parseRequirementsText("numpy>=1.20\nPillow>=10\nonnxruntime\nnumpy\n", "requirements.txt", env).needs;
    expect(unmetNeeds("ext", needs, wheels).map((u) => `${u.text}: ${u.reason}`)).toEqual(["Pillow>=10: the wheel set has 9.5.0", "onnxruntime: not in the wheel set"]);
  });

  it("follows files included with -r from requirements.txt and install.py", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "req"), { recursive: true });
    await writeFile(join(dir, "requirements.txt"), "-r req/base.txt\n");
    await writeFile(join(dir, "req", "base.txt"), "insightface\n");
    await writeFile(join(dir, "install.py"), 'import launch\nlaunch.run_pip("install -r extra.txt", "x")\n');
    await writeFile(join(dir, "extra.txt"), "timm==0.9.2\n");
    const needs = await declaredNeeds(dir, env);
    expect(needs.map((n) => `${n.key}@${n.where}`).sort()).toEqual(["insightface@req/base.txt:1", "timm@extra.txt:1"]);
  });

  it("reads a UTF-16 requirements.txt (written by Windows PowerShell) as pip does", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "requirements.txt"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("onnxruntime==1.16.3\r\n", "utf16le")]));
    const needs = await declaredNeeds(dir, env);
    expect(needs.map((n) => `${n.key}${n.specifier}@${n.where}`)).toEqual(["onnxruntime==1.16.3@requirements.txt:1"]);
  });
});
