// The test-wheel generator: deterministic bytes, platform twins, a demo closure that locks cleanly.
import { describe, expect, it } from "vitest";
import { demoWheelSpecs, makeWheel, platformTwins, wheelFilename } from "../../src/demo/wheels.ts";
import { checkClosure } from "../../src/python/closure.ts";
import { parseMetadata } from "../../src/python/metadata.ts";
import { parsePinnedRequirements } from "../../src/python/requirements.ts";
import { makeTarget } from "../../src/python/target.ts";

describe("generated wheels", () => {
  it("are the same bytes from the same spec, in any time zone", async () => {
    const spec = { name: "Same.Name", version: "1.0", files: { "same/__init__.py": "x = 1\n" }, entryPoints: { console_scripts: { same: "same:main" } } };
    const a = await makeWheel(spec);
    const b = await makeWheel(spec);
    expect(a.sha256).toBe(b.sha256);
    expect(a.filename).toBe("Same_Name-1.0-py3-none-any.whl");
  });

  it("come as manylinux and win_amd64 twins", () => {
    expect(platformTwins("x", "1", "cp310", {}).map(wheelFilename)).toEqual(["x-1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x-1-cp310-cp310-win_amd64.whl"]);
  });

  it("include a demo set whose requirements are its exact closure on both platforms", async () => {
    const { specs, requirements } = demoWheelSpecs("cp311");
    const metas = await Promise.all(specs.map(async (s) => parseMetadata((await makeWheel(s)).metadata)));
    for (const platform of ["win-x64", "linux-x64"] as const) {
      const target = makeTarget(platform, "3.11.7");
      const pins = parsePinnedRequirements(requirements.join("\n"), "r.txt").reqs.filter((q) => !q.marker || (q.markerText?.includes("win32") ? platform === "win-x64" : true));
      const nodes = pins.map((q) => ({ key: q.key, version: q.version, requiresDist: metas.find((m) => m.name === q.name)!.requiresDist }));
      const r = checkClosure(nodes, new Map(pins.map((q) => [q.key, q.extras])), target.markers);
      expect(r.problems, platform).toEqual([]);
    }
  });
});
