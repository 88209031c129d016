// The plan lists everything a build needs, each artifact typed by its kind: an sdist's pinned build
// requirements are artifacts of their own (from the lock, or unlocked with the index pages to
// resolve them from), and a launcher built for another platform brings the build machine's Node.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { FileServer } from "../../src/demo/http-server.ts";
import { isBundleError } from "../../src/core/errors.ts";
import { hostNodeOf, makePlan, ofKind } from "../../src/plan/plan.ts";
import type { LockFile, LockPlatform } from "../../src/python/lockfile.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { writeRecipe } from "../python/world.ts";

const FILES = { url: "http://127.0.0.1:9/files" } as FileServer;
const PYPI = "http://127.0.0.1:9/simple";
const h = (s: string) => createHash("sha256").update(s).digest("hex");

async function sdistRecipe(buildRequires: string[]) {
  const file = await writeRecipe({
    mirrors: { pypi: [PYPI] }, files: FILES, requirements: ["srcpkg==1.0", "beta==1.2"], buildRequires,
    packages: { srcpkg: { sdist: "mirror://files/srcpkg-1.0.tar.gz", sha256: h("sdist") } },
  });
  return loadRecipe(file);
}

function lockWith(lp: Partial<LockPlatform>, python = "3.10.6"): LockFile {
  const full: LockPlatform = { wheels: [], artifacts: {}, ...lp };
  return { lock: 1, recipe: "pytest-world", python, platforms: { "win-x64": full, "linux-x64": full } };
}

const BETA = { name: "beta", version: "1.2", filename: "beta-1.2-py3-none-any.whl", sha256: h("beta"), size: 5, index: "pypi", path: "beta-1.2-py3-none-any.whl" };
const SRCPKG = { name: "srcpkg", version: "1.0", filename: "srcpkg-1.0-py3-none-any.whl", sha256: h("built"), size: 7, index: "sdist", path: "http://127.0.0.1:9/files/srcpkg-1.0.tar.gz", sdist_sha256: h("sdist") };
const BACKEND_URL = `${PYPI}/gb-backend/gb_backend-1.0-py3-none-any.whl`;

describe("an sdist's build requirements in the plan", () => {
  it("are build-requirement artifacts with the lock's URL and hash, named by the sdist, placed nowhere", async () => {
    const loaded = await sdistRecipe(["gb-backend==1.0"]);
    const lock = lockWith({ wheels: [BETA, SRCPKG], artifacts: { "build:gb-backend": { sha256: h("backend"), size: 9, url: BACKEND_URL } } });
    const plan = await makePlan({ loaded, platform: "win-x64", lock });
    expect(plan.lock).toMatchObject({ state: "fresh", problems: [] });
    const [sdist] = ofKind(plan, "sdist");
    expect(sdist).toMatchObject({ id: "sdist:srcpkg", locked: true, sha256: h("sdist"), wheel: "srcpkg-1.0-py3-none-any.whl", buildRequirements: ["build:gb-backend"] });
    expect(ofKind(plan, "build-requirement")).toEqual([
      { id: "build:gb-backend", kind: "build-requirement", name: "gb-backend", version: "1.0", requirement: "gb-backend==1.0", urls: [BACKEND_URL], sha256: h("backend"), size: 9, locked: true, source: expect.objectContaining({ line: expect.any(Number) }) },
    ]);
    expect(plan.artifacts.filter((a) => ["wheel", "sdist", "build-requirement"].includes(a.kind)).every((a) => a.locked)).toBe(true);
  });

  it("are unlocked, with the index pages to resolve them from, when the lock lacks them or pins another version", async () => {
    const loaded = await sdistRecipe(["gb-backend==1.0"]);
    const missing = await makePlan({ loaded, platform: "linux-x64", lock: lockWith({ wheels: [BETA, SRCPKG] }) });
    expect(missing.lock.state).toBe("stale");
    expect(missing.lock.problems).toContain("build requirement gb-backend==1.0 is not in the lock");
    expect(ofKind(missing, "build-requirement")[0]).toMatchObject({ locked: false, urls: [`${PYPI}/gb-backend/`] });

    const older = lockWith({ wheels: [BETA, SRCPKG], artifacts: { "build:gb-backend": { sha256: h("old"), size: 9, url: `${PYPI}/gb-backend/gb_backend-0.9-py3-none-any.whl` } } });
    const stale = await makePlan({ loaded, platform: "linux-x64", lock: older });
    expect(stale.lock.problems).toContain("build requirement gb-backend==1.0: the lock has gb-backend 0.9");
    expect(ofKind(stale, "build-requirement")[0]!.locked).toBe(false);
  });

  it("refuses a build requirement that is not name==version at its position in the recipe", async () => {
    const loaded = await sdistRecipe(["gb-backend>=1.0"]);
    const err = await makePlan({ loaded, platform: "linux-x64", lock: null }).catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("RECIPE");
    expect((err as { diagnostics: { path: string; message: string }[] }).diagnostics).toEqual([
      expect.objectContaining({ path: "wheels.build_requires.0", message: 'build requirement "gb-backend>=1.0" must pin one version: name==version' }),
    ]);
  });
});

describe("the build machine's Node in the plan", () => {
  async function crossRecipe() {
    const file = await writeRecipe({ mirrors: { pypi: [PYPI] }, files: FILES, requirements: [] });
    return loadRecipe(file);
  }
  const lock = lockWith({ artifacts: { node: { sha256: h("linux node"), size: 3, url: "http://127.0.0.1:9/files/node-linux.tar.gz" } } });

  it("is listed for a win-x64 launcher built on linux-x64 by another Node version, with the host platform's pinned hash", async () => {
    const loaded = await crossRecipe();
    // the recipe's launcher.node URLs name no version: give them one
    loaded.recipe.launcher.node["win-x64"]!.url = "mirror://files/v24.21.0/node-v24.21.0-win-x64.zip";
    loaded.recipe.launcher.node["linux-x64"]!.url = "mirror://files/v24.21.0/node-v24.21.0-linux-x64.tar.gz";
    const plan = await makePlan({ loaded, platform: "win-x64", lock, host: { platform: "linux-x64", node: "v24.22.3" } });
    const host = hostNodeOf(plan);
    expect(host).toMatchObject({ id: "node:host", kind: "node", role: "host", platform: "linux-x64", version: "24.21.0", urls: ["http://127.0.0.1:9/files/v24.21.0/node-v24.21.0-linux-x64.tar.gz"], locked: true, sha256: h("linux node") });
    expect(host).not.toHaveProperty("dest");
    expect(ofKind(plan, "node").map((a) => a.role)).toEqual(["launcher", "host"]);
  });

  it("is not listed when the launcher is for this platform, when greenbundle runs the launcher's Node version, without a host, or for another version", async () => {
    const loaded = await crossRecipe();
    loaded.recipe.launcher.node["win-x64"]!.url = "mirror://files/v24.21.0/node-v24.21.0-win-x64.zip";
    loaded.recipe.launcher.node["linux-x64"]!.url = "mirror://files/v24.21.0/node-v24.21.0-linux-x64.tar.gz";
    const plan = (host?: { platform: "linux-x64" | "win-x64" | undefined; node: string }, platform: "win-x64" | "linux-x64" = "win-x64") => makePlan({ loaded, platform, lock, ...(host ? { host } : {}) });
    expect(hostNodeOf(await plan({ platform: "linux-x64", node: "v24.22.3" }, "linux-x64"))).toBeUndefined();
    expect(hostNodeOf(await plan({ platform: "linux-x64", node: "v24.21.0" }))).toBeUndefined();
    expect(hostNodeOf(await plan())).toBeUndefined();
    expect(hostNodeOf(await plan({ platform: undefined, node: "v24.22.3" }))).toBeUndefined();
    loaded.recipe.launcher.node["linux-x64"]!.url = "mirror://files/v24.20.0/node-v24.20.0-linux-x64.tar.gz";
    expect(hostNodeOf(await plan({ platform: "linux-x64", node: "v24.22.3" }))).toBeUndefined();
  });
});
