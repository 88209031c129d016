// When a lock no longer fits its recipe although the pins and Python version still match.
import { describe, expect, it } from "vitest";
import { lockDrift } from "../../src/python/lock-drift.ts";
import type { LockPlatform } from "../../src/python/lockfile.ts";
import { RecipeSchema, type Recipe } from "../../src/recipe/schema.ts";

const H = (c: string) => c.repeat(64);

function recipe(wheels: Record<string, unknown>, files: unknown[] = []): Recipe {
  return RecipeSchema.parse({
    recipe: 1,
    name: "x",
    version: "1",
    platforms: ["linux-x64"],
    mirrors: { pypi: ["https://pypi.example/simple"], torch: ["https://torch.example/whl"], files: ["https://files.example", "https://backup.example"] },
    python: { version: "3.10.6", "linux-x64": { url: "mirror://files/python.tar.gz", sha256: "lock" } },
    wheels: { indexes: ["pypi"], lock: "x.lock.json", ...wheels },
    files,
    launcher: { node: { "linux-x64": { url: "mirror://files/node.tar.gz", sha256: H("a") } }, command: ["{python}"], ready: "/" },
  });
}

const wheel = (name: string, index: string, extra: object = {}) => ({ name, version: "1.0", filename: `${name}-1.0-py3-none-any.whl`, sha256: H("b"), size: 1, index, path: `${name}-1.0-py3-none-any.whl`, ...extra });

describe("lockDrift", () => {
  it("finds nothing when the lock fits", () => {
    const lp: LockPlatform = { wheels: [wheel("torch", "torch"), wheel("six", "pypi")], artifacts: { python: { sha256: H("c"), size: 1, url: "https://backup.example/python.tar.gz" } } };
    expect(lockDrift(recipe({ packages: { torch: { indexes: ["torch"] } } }), "linux-x64", lp)).toEqual([]);
  });

  it("names a wheel resolved from an index the package no longer uses", () => {
    const lp: LockPlatform = { wheels: [wheel("torch", "pypi")], artifacts: {} };
    expect(lockDrift(recipe({ packages: { Torch: { indexes: ["torch"] } } }), "linux-x64", lp)).toEqual(['torch: the lock resolved it from "pypi"; the recipe now resolves it from "torch"']);
  });

  it("names a package that switched between a wheel and an sdist, and an sdist whose URL or hash changed", () => {
    const sdist = wheel("clip", "sdist", { path: "https://files.example/clip-old.zip", sdist_sha256: H("d") });
    expect(lockDrift(recipe({}), "linux-x64", { wheels: [sdist], artifacts: {} })).toEqual(["clip: the lock built it from an sdist; the recipe no longer names one"]);
    expect(lockDrift(recipe({ packages: { clip: { sdist: "mirror://files/clip.zip", sha256: H("d") } } }), "linux-x64", { wheels: [sdist], artifacts: {} })).toEqual([
      "clip: the lock built it from https://files.example/clip-old.zip; the recipe now names mirror://files/clip.zip",
    ]);
    const moved = { ...sdist, path: "https://backup.example/clip.zip" };
    expect(lockDrift(recipe({ packages: { clip: { sdist: "mirror://files/clip.zip", sha256: H("e") } } }), "linux-x64", { wheels: [moved], artifacts: {} })).toEqual([
      `clip: the lock built it from an sdist with sha256 ${H("d")}; the recipe now says ${H("e")}`,
    ]);
    expect(lockDrift(recipe({ packages: { clip: { sdist: "mirror://files/clip.zip", sha256: "lock" } } }), "linux-x64", { wheels: [wheel("clip", "pypi")], artifacts: {} })).toEqual([
      "clip: the lock has the wheel clip-1.0-py3-none-any.whl; the recipe now builds it from mirror://files/clip.zip",
    ]);
  });

  it("names a pinned artifact whose URL is no longer among the recipe's candidates", () => {
    const lp: LockPlatform = { wheels: [], artifacts: { python: { sha256: H("c"), size: 1, url: "https://files.example/python-old.tar.gz" }, "file:m.bin": { sha256: H("c"), size: 1, url: "https://files.example/m.bin" } } };
    const r = recipe({}, [{ path: "m.bin", url: "mirror://files/m.bin", sha256: "lock" }]);
    expect(lockDrift(r, "linux-x64", lp)).toEqual(["python: the lock pinned the bytes of https://files.example/python-old.tar.gz; the recipe now names mirror://files/python.tar.gz"]);
  });
});
