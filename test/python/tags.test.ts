// Wheel tags for targets given as data: the priority order per platform (snapshots), file-name
// parsing, and the reason a wheel does not fit.
import { describe, expect, it } from "vitest";
import { matchWheel, parseWheelFilename, platformTags, targetTags } from "../../src/python/tags.ts";
import { makeTarget } from "../../src/python/target.ts";

const win = makeTarget("win-x64", "3.10.6");
const linux = makeTarget("linux-x64", "3.10.6");
const arm = makeTarget("linux-arm64", "3.10.6");
const fit = (target: typeof win, f: string) => matchWheel(target, parseWheelFilename(f)!);

describe("tag priorities", () => {
  it("win-x64 cp310: cp310-cp310, abi3, none, older abi3, py3x, then pure", () => {
    expect(targetTags(win)).toMatchSnapshot();
  });

  it("linux-x64 cp310 with glibc floor 2.28: manylinux newest first with legacy aliases, linux_x86_64 last", () => {
    expect(platformTags(linux)).toMatchSnapshot();
    expect(targetTags(linux)).toMatchSnapshot();
  });

  it("follows the recipe's glibc floor", () => {
    expect(platformTags(makeTarget("linux-x64", "3.11.7", "2.17"))).toEqual([
      "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_16_x86_64", "manylinux_2_15_x86_64", "manylinux_2_14_x86_64",
      "manylinux_2_13_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_11_x86_64", "manylinux_2_10_x86_64",
      "manylinux_2_9_x86_64", "manylinux_2_8_x86_64", "manylinux_2_7_x86_64", "manylinux_2_6_x86_64", "manylinux_2_5_x86_64",
      "manylinux1_x86_64", "linux_x86_64",
    ]);
  });

  it("linux-arm64: manylinux aarch64 from the floor down to glibc 2.17 (manylinux2014), linux_aarch64 last", () => {
    expect(platformTags(arm)).toEqual([
      "manylinux_2_28_aarch64", "manylinux_2_27_aarch64", "manylinux_2_26_aarch64", "manylinux_2_25_aarch64", "manylinux_2_24_aarch64",
      "manylinux_2_23_aarch64", "manylinux_2_22_aarch64", "manylinux_2_21_aarch64", "manylinux_2_20_aarch64", "manylinux_2_19_aarch64",
      "manylinux_2_18_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64",
    ]);
    expect(targetTags(arm).slice(0, 2)).toEqual(["cp310-cp310-manylinux_2_28_aarch64", "cp310-cp310-manylinux_2_27_aarch64"]);
    expect(targetTags(arm).at(-1)).toBe("py30-none-any");
    expect(fit(arm, "x-1-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl")).toMatchObject({ ok: true, tag: "cp310-cp310-manylinux_2_17_aarch64" });
  });

  it("ranks a specific wheel above abi3 above pure", () => {
    const p = (f: string) => (fit(linux, f) as { priority: number }).priority;
    expect(p("x-1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")).toBeLessThan(p("x-1-cp38-abi3-manylinux2014_x86_64.whl"));
    expect(p("x-1-cp38-abi3-manylinux2014_x86_64.whl")).toBeLessThan(p("x-1-py3-none-any.whl"));
    expect(p("x-1-cp310-cp310-manylinux_2_28_x86_64.whl")).toBeLessThan(p("x-1-cp310-cp310-manylinux_2_17_x86_64.whl"));
    expect(p("x-1-cp310-cp310-manylinux1_x86_64.whl")).toBeLessThan(p("x-1-cp310-cp310-linux_x86_64.whl"));
    expect(p("x-1-py2.py3-none-any.whl")).toBe(p("x-1-py3-none-any.whl"));
  });
});

describe("wheel file names", () => {
  it("parses names, build tags, compressed tag sets and local versions", () => {
    expect(parseWheelFilename("torch-2.1.2+cu121-cp310-cp310-win_amd64.whl")).toEqual({
      filename: "torch-2.1.2+cu121-cp310-cp310-win_amd64.whl", name: "torch", version: "2.1.2+cu121", pythonTags: ["cp310"], abiTags: ["cp310"], platformTags: ["win_amd64"],
    });
    expect(parseWheelFilename("Foo_Bar-1.0-1-py2.py3-none-any.whl")).toMatchObject({ name: "foo-bar", build: "1", pythonTags: ["py2", "py3"] });
    expect(parseWheelFilename("foo-1.0.tar.gz")).toBeUndefined();
    expect(parseWheelFilename("foo-1.0-x-py3-none-any.whl")).toBeUndefined();
  });

  it.each([
    [win, "t-1-cp311-cp311-win_amd64.whl", "built for cp311; cp310 needed"],
    [win, "t-1-cp310-cp310-manylinux2014_x86_64.whl", "built for manylinux2014_x86_64; win-x64 needs win_amd64"],
    [linux, "t-1-cp310-cp310-manylinux_2_34_x86_64.whl", "needs glibc 2.34, newer than the floor 2.28 (python.glibc)"],
    [linux, "t-1-cp310-cp310-win_amd64.whl", "built for win_amd64; linux-x64 needs manylinux_2_X_x86_64 or linux_x86_64"],
    [linux, "t-1-cp311-abi3-manylinux2014_x86_64.whl", "built for cp311; cp310 needed"],
    [linux, "t-1-cp310-cp310d-manylinux2014_x86_64.whl", "ABI cp310d does not load in CPython 3.10.6 (cp310)"],
    [arm, "t-1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "built for manylinux_2_17_x86_64.manylinux2014_x86_64; linux-arm64 needs manylinux_2_X_aarch64 or linux_aarch64"],
    [arm, "t-1-cp310-cp310-manylinux_2_34_aarch64.whl", "needs glibc 2.34, newer than the floor 2.28 (python.glibc)"],
    [linux, "t-1-cp310-cp310-manylinux_2_17_aarch64.whl", "built for manylinux_2_17_aarch64; linux-x64 needs manylinux_2_X_x86_64 or linux_x86_64"],
  ])("says why a wheel does not fit (%#)", (target, file, reason) => {
    expect(fit(target, file)).toEqual({ ok: false, reason });
  });
});
