// `bundle demo --app script`: a script app (a stand-in for Stability-AI's scripts/txt2img.py),
// built, packed and verified offline through verify.api command — `launcher --exec -- <command>`
// with the network cut off, its exit code, and the newest PNG it wrote. Then the same bundle
// with a script that fails and one that writes no image.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hostPlatform } from "../../src/core/platform.ts";
import type { VerifyReport } from "../../src/verify/report-types.ts";
import { tempDir } from "../helpers/tmp.ts";
import { bundleCli, verifyVariant, type Ran } from "./demo-run.ts";

const linux = hostPlatform() === "linux-x64";
const BUNDLE = "greenbundle-demo-script-1.0.0-linux-x64";

describe.skipIf(!linux)("bundle demo --app script (linux-x64 host)", () => {
  let dir: string;
  let demo: Ran;

  beforeAll(async () => {
    dir = await tempDir("gb-e2e-script-");
    demo = await bundleCli(["demo", "--app", "script", "--out", "out", "--cache", "cache"], dir);
  }, 900_000);

  it("builds the script app and verifies it offline through launcher --exec, checking the PNG it wrote", async () => {
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    expect(demo.stdout).toContain(`demo bundle: out/${BUNDLE}.zip`);
    const r = JSON.parse(await readFile(join(dir, "out", `verify-${BUNDLE}`, "report.json"), "utf8")) as VerifyReport;
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => `${c.id}:${c.status}`)).toEqual(["source:pass", "extract:pass", "bundle:pass", "manifest:pass", "isolation:pass", "ready:skip", "offline:pass", "generate:pass", "image:pass", "gpu:pass", "stop:pass", "leftovers:pass", "changes:pass"]);
    expect(r.checks.find((c) => c.id === "generate")!.detail).toMatch(/^launcher --exec -- \{python\} scripts\/txt2img\.py --prompt a cute cat --seed 42 --outdir \{bundle\}\/greenbundle-verify .* ended \(exit code 0\) in/);
    expect(r.checks.find((c) => c.id === "stop")!.detail).toMatch(/^the command ended by itself after [\d.]+ s \(exit code 0\)$/);
    expect(r.image).toMatchObject({ width: 192, height: 128, info: { file: "greenbundle-verify/samples/00000.png", matches: 1 } });
    // the script's output folder is verify's own: its files are allowed, nothing else changed
    expect(r.changes!.lists.allowed.map((c) => c.path).sort()).toEqual(["greenbundle-verify/grid-0000.png", "greenbundle-verify/samples/00000.png"]);
    expect(r.changes!.violations).toBe(0);
    // the launcher ran the script with the recipe's env: the repository root on PYTHONPATH
    const bj = JSON.parse(await readFile(join(dir, "out", BUNDLE, "bundle.json"), "utf8")) as { launcher: Record<string, unknown> };
    expect(bj.launcher.ready).toBeUndefined();
  });

  it.concurrent("fails verification of a script that exits 1, with its last output", async () => {
    const r = await verifyVariant(join(dir, "out", BUNDLE), join(dir, "reports"), "script-fails");
    expect(r.code).toBe(1);
    expect(r.failed.map((c) => c.id)).toEqual(["generate"]);
    expect(r.text).toMatch(/^launcher --exec -- .* failed: exited with code 1\n[\s\S]*RuntimeError: CUDA error: no kernel image/);
  }, 300_000);

  it.concurrent("fails verification of a script that exits 0 without writing a PNG", async () => {
    const r = await verifyVariant(join(dir, "out", BUNDLE), join(dir, "reports"), "script-no-image");
    expect(r.code).toBe(1);
    expect(r.failed.map((c) => c.id)).toEqual(["generate"]);
    expect(r.text).toContain("the command exited 0 but wrote no PNG matching greenbundle-verify/samples/*.png (greenbundle-verify/ is empty)");
  }, 300_000);
});
