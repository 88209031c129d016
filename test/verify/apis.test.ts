// The verify API registry: one entry per name the recipe schema offers, each planning steps the
// driver can run (well-formed, JSON all the way, readiness and generation named), and a bundle
// whose verify.api this greenbundle does not know is a failed check that says which it knows.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { VERIFY_APIS } from "../../src/contract/registry-names.ts";
import { VerifySchema } from "../../src/recipe/schema.ts";
import { VERIFY_API, verifyApi } from "../../src/verify/apis.ts";
import { stepProblems } from "../../src/verify/driver-steps.ts";
import { verifyBundle } from "../../src/verify/verify.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeFakeBundle } from "./fake-bundle.ts";

describe("the verify API registry", () => {
  it("holds one entry per API name, each filed under its own name, and the recipe offers exactly those", () => {
    expect(Object.keys(VERIFY_API)).toEqual([...VERIFY_APIS]);
    for (const [name, api] of Object.entries(VERIFY_API)) expect(api.name).toBe(name);
    for (const name of VERIFY_APIS) expect(VerifySchema.safeParse({ api: name, txt2img: { prompt: "p" } }).success).toBe(true);
    expect(VerifySchema.safeParse({ api: "nope", txt2img: { prompt: "p" } }).success).toBe(false);
    expect(verifyApi("nope")).toBeUndefined();
    expect(verifyApi("toString")).toBeUndefined();
  });

  it.each(VERIFY_APIS)("%s plans steps the driver can take across the process boundary", async (name) => {
    const bj = JSON.parse(await readFile(join(await makeFakeBundle(await tempDir("gb-apis-")), "bundle.json"), "utf8")) as BundleJson;
    const plan = VERIFY_API[name].plan({ bj, timeoutMs: 60_000 });
    expect(plan.ready).toMatch(/^\//);
    expect(stepProblems(plan.steps)).toEqual([]);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(plan.generation.length).toBeGreaterThan(0);
    for (const g of plan.generation) expect(plan.steps.map((s) => s.name)).toContain(g);
  });
});

describe("bundle verify with an API it does not know", () => {
  it("fails the bundle.json check, naming the APIs it knows, and boots nothing", async () => {
    const dir = await tempDir("gb-apis-");
    const root = await makeFakeBundle(dir);
    const bj = JSON.parse(await readFile(join(root, "bundle.json"), "utf8")) as BundleJson;
    await writeFile(join(root, "bundle.json"), JSON.stringify({ ...bj, verify: { ...bj.verify, api: "comfyui-next" } }, null, 2));
    const r = await verifyBundle({ input: root, gpu: "auto", hostPlatform: "linux-x64", allowNetns: false, cwd: dir, env: { ...process.env }, toolVersion: "test", tmpRoot: dir });
    expect(r.report.failed).toEqual(["bundle"]);
    expect(r.report.checks.find((c) => c.id === "bundle")!.detail).toBe(`verify.api is "comfyui-next", which this greenbundle cannot drive (it knows ${VERIFY_APIS.join(", ")})`);
    expect(r.report.checks.find((c) => c.id === "ready")!.status).toBe("skip");
  });
});
