// bundle verify on inputs it must not trust: a bundle.json that is damaged or lies about names
// that become paths, and a launcher that dies at once. Each is a failed check with a reason, a
// report in the usual place, and never a crash.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verify/verify.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeFakeBundle } from "./fake-bundle.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("gb-verify-untrusted-");
});

function opts(input: string, over: Partial<VerifyOptions> = {}): VerifyOptions {
  return { input, gpu: "auto", hostPlatform: "linux-x64", allowNetns: true, cwd: dir, env: { ...process.env }, toolVersion: "test", tmpRoot: dir, ...over };
}

async function folderWith(name: string, bundleJson: unknown): Promise<string> {
  const root = join(dir, name);
  await mkdir(root, { recursive: true });
  await writeFile(join(root, "bundle.json"), JSON.stringify(bundleJson));
  return root;
}

const status = (r: Awaited<ReturnType<typeof verifyBundle>>) => Object.fromEntries(r.report.checks.map((c) => [c.id, c.status]));

describe("bundle verify with a bundle.json it cannot trust", () => {
  it.each([
    ["components missing", { format: 1, name: "x", version: "1", platform: "linux-x64", files: [], launcher: {} }, /bundle\.json is not one greenbundle wrote: components: missing/],
    ["a null file entry", { format: 1, name: "x", version: "1", platform: "linux-x64", files: [null], components: [], launcher: {} }, /not one greenbundle wrote: .* \(and \d+ more problem\(s\)\)/],
    ["the JSON value null", null, /its format is missing, this greenbundle reads 1/],
  ])("fails the bundle.json check, without a crash, when it has %s", async (name, value, detail) => {
    const root = await folderWith(`bj-${name.replace(/\W+/g, "-")}`, value);
    const r = await verifyBundle(opts(root));
    expect(r.report.failed).toEqual(["bundle"]);
    expect(r.report.checks.find((c) => c.id === "bundle")!.detail).toMatch(detail);
    expect(status(r).manifest).toBe("skip");
  });

  it("keeps the report next to the input when bundle.json names the bundle with '..'", async () => {
    const root = await folderWith("evil-name", { format: 1, name: "../../../escaped", version: "1", platform: "linux-x64", files: [], components: [], launcher: { name: "../../bin/sh" } });
    const r = await verifyBundle(opts(root));
    expect(r.report.failed).toEqual(["bundle"]);
    expect(r.report.checks.find((c) => c.id === "bundle")!.detail).toMatch(/name: expected letters, digits/);
    expect(r.reportDir).toBe(join(dir, "dist", "verify-evil-name"));
    expect(await readdir(join(dir, "dist"))).not.toContain("escaped");
  });

  it("says on the command line which check failed and why", async () => {
    const root = await folderWith("cli-bj", { format: 1, name: "x", version: "1", platform: "linux-x64", files: [], launcher: {} });
    const r = await runCli(["verify", root, "--report", join(dir, "cli-report")], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: verification failed: bundle.json — bundle.json is not one greenbundle wrote: components: missing");
    expect(r.stderr).not.toContain("internal error");
  });
});

describe("bundle verify with a launcher that exits at once", () => {
  it("fails readiness with the exit code and the launcher's output, and claims nothing about the GPU or the stop", async () => {
    const root = await makeFakeBundle(await tempDir("gb-verify-exit3-"));
    const script = '#!/bin/sh\necho "boom: cannot start" >&2\nexit 3\n';
    await rm(join(root, "launcher"));
    await writeFile(join(root, "launcher"), script, { mode: 0o755 });
    const bj = JSON.parse(await readFile(join(root, "bundle.json"), "utf8")) as BundleJson;
    const entry = bj.files.find((f) => f.path === "launcher")!;
    entry.size = Buffer.byteLength(script);
    entry.sha256 = createHash("sha256").update(script).digest("hex");
    await writeFile(join(root, "bundle.json"), JSON.stringify(bj));
    const r = await verifyBundle(opts(root, { reportDir: join(dir, "exit3-report") }));
    expect(r.report.failed).toEqual(["ready"]);
    const ready = r.report.checks.find((c) => c.id === "ready")!;
    expect(ready.detail).toMatch(/exited before the app was ready \(exit code 3\)/);
    expect(ready.items!.join("\n")).toContain("boom: cannot start");
    expect(status(r)).toMatchObject({ generate: "skip", image: "skip", gpu: "skip", stop: "warn" });
    expect(r.report.checks.find((c) => c.id === "stop")!.detail).toMatch(/already exited by itself \(exit code 3\)/);
  });
});

describe("bundle verify --report into a folder that is not a report", () => {
  it.each([
    ["a folder with other files", async (p: string) => (await mkdir(p, { recursive: true }), await writeFile(join(p, "data.txt"), "important")), /it holds other files \(data\.txt\), which writing the report would replace/, "data.txt"],
    ["a file", async (p: string) => await writeFile(p, "important"), /it is a file/, undefined],
  ] as const)("refuses %s before booting anything, and loses nothing", async (name, make, why, keptFile) => {
    const target = join(dir, `report-${name.replace(/\W+/g, "-")}`);
    await make(target);
    const root = await folderWith(`rep-${name.replace(/\W+/g, "-")}`, { format: 1 });
    const r = await runCli(["verify", root, "--report", target], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toContain("==> verify");
    expect(await readFile(keptFile ? join(target, keptFile) : target, "utf8")).toBe("important");
  });

  it("replaces an earlier report in the same folder", async () => {
    const root = await folderWith("rep-again", { format: 1 });
    const target = join(dir, "report-again");
    expect((await runCli(["verify", root, "--report", target], { cwd: dir })).code).toBe(1);
    expect((await runCli(["verify", root, "--report", target], { cwd: dir })).code).toBe(1);
    expect((await readdir(target)).sort()).toEqual(["report.html", "report.json"]);
  });
});

describe("bundle verify with huge timeouts", () => {
  it("refuses --timeout beyond a day on the command line", async () => {
    const r = await runCli(["verify", join(dir, "whatever"), "--timeout", "3000000"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: --timeout 3000000 is more than a day (86400 s)");
  });

  it("caps a recipe's huge verify.timeout instead of letting the timer overflow and fire at once", async () => {
    const root = await makeFakeBundle(await tempDir("gb-verify-huge-"), { timeout: 3_000_000 });
    const r = await verifyBundle(opts(root, { reportDir: join(dir, "huge-report") }));
    expect(r.report.failed).toEqual([]);
    expect(r.ok).toBe(true);
  }, 120_000);
});
