// The README's main command, end to end: `bundle demo` starts the local world, locks, builds the
// demo bundle for this machine, packs it and verifies the archive offline. Then the same build is
// verified again with each misbehaving variant of the stand-in app (an environment variable the
// app reads), which must fail for the right reason: build once, vary cheaply.
import { createHash } from "node:crypto";
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hostPlatform } from "../../src/core/platform.ts";
import type { VerifyReport } from "../../src/verify/report-types.ts";
import { serializeBundleJson, type BundleJson } from "../../src/contract/bundle-json.ts";
import { packBundle } from "../../src/pack/index.ts";
import { runCli } from "../helpers/cli.ts";
import { bundleCli, type Ran } from "./demo-run.ts";
import { tempDir } from "../helpers/tmp.ts";

const linux = hostPlatform() === "linux-x64";
const BUNDLE = "greenbundle-demo-1.0.0-linux-x64";

describe.skipIf(!linux)("bundle demo (linux-x64 host)", () => {
  let dir: string;
  let demo: Ran;

  beforeAll(async () => {
    dir = await tempDir("gb-e2e-");
    // as on a fresh machine (README): no patchelf, so the runtime relocates with its sh wrapper
    const stubs = join(dir, "stubs");
    await mkdir(stubs);
    await writeFile(join(stubs, "patchelf"), "#!/bin/sh\necho 'patchelf: not installed (test stub)' >&2\nexit 127\n", { mode: 0o755 });
    demo = await bundleCli(["demo", "--out", "out", "--cache", "cache"], dir, { ...process.env, PATH: `${stubs}:${process.env.PATH}` });
  }, 900_000);

  it("builds the demo bundle, verifies it offline and says where the archive and the report are", () => {
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    expect(demo.stdout).toMatch(new RegExp(`demo bundle: out/${BUNDLE}\\.zip \\(\\d`));
    expect(demo.stdout).toContain(`report:      out/verify-${BUNDLE}/report.html`);
    expect(demo.stdout).toMatch(/times: +world [\d.]+ s · lock [\d.]+ s · build [\d.]+ s · verify [\d.]+ s · total [\d.]+ s/);
    for (const line of demo.stdout.split("\n").filter((l) => /^(PASS|FAIL|WARN|SKIP) /.test(l))) expect(line).not.toMatch(/^FAIL/);
  });

  it("works without patchelf: the bundled Python finds its own libpython through its wrapper", async () => {
    expect(await readFile(join(dir, "out", BUNDLE, "python", "bin", "python3"), "utf8")).toMatch(/^#!\/bin\/sh\n[\s\S]*LD_LIBRARY_PATH/);
  });

  it("leaves a report in which every check passed, with the image and the figures", async () => {
    const reportDir = join(dir, "out", `verify-${BUNDLE}`);
    const r = JSON.parse(await readFile(join(reportDir, "report.json"), "utf8")) as VerifyReport;
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => `${c.id}:${c.status}`)).toEqual(
      expect.arrayContaining(["source:pass", "extract:pass", "manifest:pass", "ready:pass", "offline:pass", "generate:pass", "image:pass", "stop:pass", "leftovers:pass", "changes:pass"]),
    );
    expect(r.source).toMatchObject({ kind: "zip" });
    expect(r.checks.find((c) => c.id === "source")!.detail).toContain("SHA256SUMS");
    expect(r.copy.path).toMatch(/整合包 测试/);
    expect(r.image).toMatchObject({ width: 384, height: 256 });
    for (const k of ["extract", "manifest", "ready", "generate", "stop"] as const) expect(r.timings[k]).toBeGreaterThan(0);
    expect(r.gpu).toMatchObject({ mode: "auto", used: false });
    expect((await readdir(reportDir)).sort()).toEqual(["app.log", "image.png", "report.html", "report.json"]);
    expect(await readFile(join(reportDir, "app.log"), "utf8")).toMatch(/gb_demo_palette 1\.0\.0 from .*整合包 测试.*site-packages/);
  });

  it("sees the app's first-launch writes (a diskcache-style database, a file in its package's folder) allowed, and nothing else changed", async () => {
    const r = JSON.parse(await readFile(join(dir, "out", `verify-${BUNDLE}`, "report.json"), "utf8")) as VerifyReport;
    const allowed = r.changes!.lists.allowed.map((c) => `${c.change} ${c.path}`);
    expect(allowed).toEqual(expect.arrayContaining(["added app/cache/hashes/cache.db", expect.stringMatching(/^added python\/lib\/python3\.\d+\/site-packages\/gb_demo_palette\/launches\.json$/)]));
    expect(r.changes!.violations).toBe(0);
  });

  it("ships bytecode: the first launch writes no new .pyc (the builder's PYTHONDONTWRITEBYTECODE is not passed to the app)", async () => {
    const r = JSON.parse(await readFile(join(dir, "out", `verify-${BUNDLE}`, "report.json"), "utf8")) as VerifyReport;
    const bj = JSON.parse(await readFile(join(dir, "out", BUNDLE, "bundle.json"), "utf8")) as { builder: { bytecode?: { files: number; interpreter: string } } };
    expect(bj.builder.bytecode?.interpreter).toBe("bundle");
    expect(bj.builder.bytecode?.files).toBeGreaterThan(500);
    expect(r.changes!.pycache).toBe(0);
    expect(r.checks.find((c) => c.id === "changes")!.detail).toContain("0 new bytecode file(s)");
  });

  const variants: [string, string, RegExp, string[]][] = [
    ["writes one more file at first launch than the recipe allows", "one-more-file", /added app\/cache\.json \(repository app\)/, []],
    ["writes into its own site-packages at start", "site-packages", /demo_downloaded_at_first_launch\.py \(site-packages\)/, []],
    ["returns an all-black image", "black", /all black/, []],
    ["never becomes ready", "never-ready", /not ready within 8 s[\s\S]*still loading the model/, ["--timeout", "8"]],
    ["reaches for the network at start", "network", /offline violation: the app reached for the network \((connection to 203\.0\.113\.1:80|request through the proxy to http:\/\/203\.0\.113\.1)/, []],
  ];
  for (const [what, variant, reason, extra] of variants) {
    // concurrently: each run has its own copy, namespace and port, and mostly waits
    it.concurrent(`fails verification of an app that ${what}`, async () => {
      const report = join(dir, "reports", variant);
      const r = await runCli(["verify", join(dir, "out", BUNDLE), "--report", report, "--json", ...extra], { env: { ...process.env, GREENBUNDLE_DEMO_VARIANT: variant } });
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { report: VerifyReport };
      const failed = out.report.checks.filter((c) => c.status === "fail");
      expect(failed.length).toBe(1);
      expect(`${failed[0]!.detail}\n${(failed[0]!.items ?? []).join("\n")}`).toMatch(reason);
      expect(r.stderr).toContain(`verification failed: ${failed[0]!.title}`);
    }, 300_000);
  }

  describe("releases of the demo: a reproducible 7z, and an update between two versions", () => {
    const folder = () => join(dir, "out", BUNDLE);
    const mtime = new Date("2024-01-01T00:00:00Z");

    it("packs the demo as a 7z byte-identical from two copies of the folder, and the 7z passes bundle verify", async () => {
      // level 1: the same code path as the default 7, in a fraction of the time (one core, WASM)
      const a = await packBundle({ dir: folder(), out: join(dir, "7z-a", BUNDLE), format: "7z", mtime, level: 1 });
      await cp(folder(), join(dir, "copy", BUNDLE), { recursive: true, verbatimSymlinks: true }); // other mtimes, other inodes
      const b = await packBundle({ dir: join(dir, "copy", BUNDLE), out: join(dir, "7z-b", BUNDLE), format: "7z", mtime, level: 1 });
      expect(b.sha256).toEqual(a.sha256);
      const zip = (await stat(join(dir, "out", `${BUNDLE}.zip`))).size;
      console.log(`demo: zip ${(zip / 2 ** 20).toFixed(1)} MiB, 7z level 1 ${(a.size / 2 ** 20).toFixed(1)} MiB`);
      const r = await runCli(["verify", a.files[0]!, "--report", join(dir, "reports", "7z"), "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const report = (JSON.parse(r.stdout) as { report: VerifyReport }).report;
      expect(report.source).toMatchObject({ kind: "7z" });
      await rm(join(dir, "copy"), { recursive: true, force: true });
    }, 900_000);

    it("makes 1.0.1 (the app's commit and one wheel changed, one file removed), bundle delta, and bundle verify old.zip --update passes", async () => {
      const v2 = join(dir, "v2", "greenbundle-demo-1.0.1-linux-x64");
      await cp(folder(), v2, { recursive: true, verbatimSymlinks: true });
      const bj = JSON.parse(await readFile(join(v2, "bundle.json"), "utf8")) as BundleJson;
      const site = bj.files.find((f) => /site-packages\/gb_demo_palette\/__init__\.py$/.test(f.path))!.path;
      const appFile = bj.files.find((f) => /^app\/[^/]+\.py$/.test(f.path))!.path;
      const removed = bj.files.find((f) => /^app\/README\.md$/.test(f.path))?.path ?? bj.files.find((f) => f.path.startsWith("app/") && f.path.endsWith(".md"))!.path;
      for (const p of [site, appFile]) await writeFile(join(v2, p), (await readFile(join(v2, p), "utf8")) + "\n# 1.0.1\n");
      await rm(join(v2, removed));
      bj.version = "1.0.1";
      bj.launcher.version = "1.0.1";
      bj.files = bj.files.filter((f) => f.path !== removed);
      for (const f of bj.files) {
        if (f.path !== site && f.path !== appFile) continue;
        const data = await readFile(join(v2, f.path));
        f.size = data.length;
        f.sha256 = createHash("sha256").update(data).digest("hex");
      }
      await writeFile(join(v2, "bundle.json"), serializeBundleJson(bj));
      const v2zip = (await packBundle({ dir: v2, out: join(dir, "v2", "greenbundle-demo-1.0.1-linux-x64"), format: "zip", mtime })).files[0]!;
      const oldZip = join(dir, "out", `${BUNDLE}.zip`);
      const d = await runCli(["delta", oldZip, v2zip, "--out", join(dir, "updates"), "--json"]);
      expect(d.code, d.stderr).toBe(0);
      const delta = JSON.parse(d.stdout) as { file: string; size: number; added: number; changed: number; removed: number };
      expect(delta).toMatchObject({ added: 0, changed: 2, removed: 1 });
      expect(delta.file).toBe(join(dir, "updates", "greenbundle-demo-1.0.0-to-1.0.1-linux-x64.update.zip"));
      const full = (await stat(v2zip)).size;
      console.log(`demo update 1.0.0 → 1.0.1: ${delta.size} bytes, ${((100 * delta.size) / full).toFixed(3)} % of the full zip (${full} bytes)`);
      expect(delta.size).toBeLessThan(full / 20);
      const r = await runCli(["verify", oldZip, "--update", delta.file, "--report", join(dir, "reports", "update"), "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const report = (JSON.parse(r.stdout) as { report: VerifyReport }).report;
      expect(report.bundle).toMatchObject({ version: "1.0.1" });
      expect(report.checks.find((c) => c.id === "update")).toMatchObject({ status: "pass" });
      expect(report.checks.find((c) => c.id === "manifest")).toMatchObject({ status: "pass" });
    }, 900_000);
  });
});
