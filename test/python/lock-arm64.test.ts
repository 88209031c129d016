// linux-arm64 comes from the platform table alone: `bundle lock` against a loopback simple index
// that serves aarch64 and x86_64 manylinux wheels picks the aarch64 ones (or the pure fallback),
// says why an x86_64-only package does not fit, and the plan is then fully locked with the
// Linux scheme and a `launcher` without suffix.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { WheelSpec } from "../../src/demo/wheels.ts";
import { makePlan } from "../../src/plan/plan.ts";
import { lockRecipe } from "../../src/lock/lock.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { tempDir } from "../helpers/tmp.ts";
import { fileServer, indexOf, NODE_ARM64, NODE_LINUX, writeRecipe } from "./world.ts";

const native = (tag: string): WheelSpec => ({ name: "native", version: "1.0", tag, files: { "native/__init__.py": `TAG = "${tag}"\n` } });
const CATALOG: WheelSpec[] = [
  { name: "pure", version: "2.0" },
  native("cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64"),
  native("cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64"),
  native("cp310-cp310-manylinux_2_34_aarch64"),
  native("cp310-cp310-win_amd64"),
  { name: "x86only", version: "1.0", tag: "cp310-cp310-manylinux_2_28_x86_64" },
  { name: "newarm", version: "1.0", tag: "cp310-cp310-manylinux_2_34_aarch64" },
];
const PBS_ARM = Buffer.from("stand-in cpython-3.10.6-aarch64-unknown-linux-gnu-install_only.tar.gz");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let files: Awaited<ReturnType<typeof fileServer>>;
beforeAll(async () => {
  files = await fileServer({ "python-linux.tar.gz": Buffer.from("pbs"), "python-arm64.tar.gz": PBS_ARM, "node-linux.tar.gz": NODE_LINUX, "node-linux-arm64.tar.gz": NODE_ARM64 });
});

async function recipeWith(requirements: string[]) {
  const index = await indexOf(CATALOG);
  const recipe = await writeRecipe({ mirrors: { pypi: [index.simple] }, requirements, files, platforms: ["linux-arm64", "linux-x64"] });
  return { loaded: await loadRecipe(recipe), cacheDir: await tempDir("gb-lock-arm64-") };
}

describe("bundle lock for linux-arm64", () => {
  it("picks the aarch64 manylinux wheel for linux-arm64 and the x86_64 one for linux-x64, pins the runtime and Node, and plans fully locked", async () => {
    const { loaded, cacheDir } = await recipeWith(["native==1.0", "pure==2.0"]);
    const { lock } = await lockRecipe({ loaded, cacheDir });
    const wheel = (p: "linux-arm64" | "linux-x64", name: string) => lock.platforms[p]!.wheels.find((w) => w.name === name)!.filename;
    expect(wheel("linux-arm64", "native")).toBe("native-1.0-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl");
    expect(wheel("linux-x64", "native")).toBe("native-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    expect(wheel("linux-arm64", "pure")).toBe("pure-2.0-py3-none-any.whl");
    expect(lock.platforms["linux-arm64"]!.artifacts.python).toEqual({ sha256: sha(PBS_ARM), size: PBS_ARM.length, url: `${files.url}/python-arm64.tar.gz` });
    expect(lock.platforms["linux-arm64"]!.artifacts.node).toEqual({ sha256: sha(NODE_ARM64), size: NODE_ARM64.length, url: `${files.url}/node-linux-arm64.tar.gz` });

    const plan = await makePlan({ loaded, platform: "linux-arm64" });
    expect(plan.lock.state).toBe("fresh");
    expect(plan.bundleName).toBe("pytest-world-1.0.0-linux-arm64");
    expect(plan.target.markers.platform_machine).toBe("aarch64");
    expect(plan.artifacts.filter((a) => !a.locked)).toEqual([]);
    const byId = new Map(plan.artifacts.map((a) => [a.id, a]));
    expect(byId.get("wheel:native")).toMatchObject({ dest: "python/lib/python3.10/site-packages", filename: "native-1.0-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl" });
    expect(byId.get("node")).toMatchObject({ dest: "launcher", sha256: sha(NODE_ARM64) });
    expect(byId.get("python")).toMatchObject({ dest: "python", urls: [`${files.url}/python-arm64.tar.gz`] });
    expect(byId.has("git")).toBe(false);
  });

  it("says why an x86_64-only wheel or a too new aarch64 one does not fit linux-arm64", async () => {
    const { loaded, cacheDir } = await recipeWith(["x86only==1.0", "newarm==1.0"]);
    const msg = await lockRecipe({ loaded, cacheDir }).then(() => "", (e: Error) => e.message);
    expect(msg).toContain("x86only==1.0 on linux-arm64: pypi: built for manylinux_2_28_x86_64; linux-arm64 needs manylinux_2_X_aarch64 or linux_aarch64");
    expect(msg).toContain("newarm==1.0 on linux-arm64: pypi: needs glibc 2.34, newer than the floor 2.28 (python.glibc)");
    expect(msg).not.toContain("x86only==1.0 on linux-x64");
    expect(msg).toContain("newarm==1.0 on linux-x64: pypi: built for manylinux_2_34_aarch64; linux-x64 needs manylinux_2_X_x86_64 or linux_x86_64");
  });
});
