// `bundle demo --app comfyui`: the ComfyUI stand-in (which validates every graph as ComfyUI does)
// with a custom node, built, packed and verified offline through verify.api comfyui with the
// standard text-to-image graph. Then the same bundle with variants of the app that refuse the
// graph, fail while running it, or never finish it: each fails for its own reason, in the app's words.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hostPlatform } from "../../src/core/platform.ts";
import type { VerifyReport } from "../../src/verify/report-types.ts";
import { tempDir } from "../helpers/tmp.ts";
import { bundleCli, verifyVariant, type Ran } from "./demo-run.ts";

const linux = hostPlatform() === "linux-x64";
const BUNDLE = "greenbundle-demo-comfyui-1.0.0-linux-x64";

describe.skipIf(!linux)("bundle demo --app comfyui (linux-x64 host)", () => {
  let dir: string;
  let demo: Ran;

  beforeAll(async () => {
    dir = await tempDir("gb-e2e-comfy-");
    demo = await bundleCli(["demo", "--app", "comfyui", "--out", "out", "--cache", "cache"], dir);
  }, 900_000);

  it("builds the ComfyUI stand-in with its custom node and verifies it offline, every check passing", async () => {
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    expect(demo.stdout).toContain(`demo bundle: out/${BUNDLE}.zip`);
    // the custom node's requirements.txt (gb-demo-palette>=1.0) is met by the wheel set: no warning
    expect(demo.stderr).not.toMatch(/extension gb-demo-nodes declares packages/);
    const r = JSON.parse(await readFile(join(dir, "out", `verify-${BUNDLE}`, "report.json"), "utf8")) as VerifyReport;
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => `${c.id}:${c.status}`)).toEqual(["source:pass", "extract:pass", "bundle:pass", "manifest:pass", "isolation:pass", "ready:pass", "offline:pass", "generate:pass", "image:pass", "gpu:pass", "stop:pass", "leftovers:pass", "changes:pass"]);
    expect(r.checks.find((c) => c.id === "ready")!.detail).toMatch(/^GET \/system_stats answered 200/);
    expect(r.checks.find((c) => c.id === "generate")!.detail).toMatch(/^POST \/prompt → GET \/history\/\{prompt_id\} → GET \/view\?filename=\{filename\}&subfolder=\{subfolder\}&type=\{type\} answered in/);
    expect(r.checks.find((c) => c.id === "stop")!.detail).toMatch(/^SIGINT to the launcher/);
    expect(r.image).toMatchObject({ width: 256, height: 192, info: { filename: "greenbundle-verify_00001_.png", subfolder: "", type: "output" } });
    expect(r.gpu).toMatchObject({ used: false, detail: expect.stringContaining("ComfyUI ran on the CPU (cpu)") });
    // the report shows the graph that was sent, with the checkpoint the builder found
    const graph = (r.request as { prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }> }).prompt;
    expect(graph["4"]).toEqual({ class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "greenbundle/demo-v1.ckpt" } });
    expect(graph["3"]!.inputs).toMatchObject({ seed: 42, steps: 20, cfg: 7 });
    expect(graph["7"]!.inputs.text).toBe("blurry");
    expect(await readFile(join(dir, "out", `verify-${BUNDLE}`, "report.html"), "utf8")).toContain("CheckpointLoaderSimple");
    const bj = JSON.parse(await readFile(join(dir, "out", BUNDLE, "bundle.json"), "utf8")) as { verify: Record<string, unknown> };
    expect(bj.verify).toMatchObject({ api: "comfyui", checkpoint: "greenbundle/demo-v1.ckpt" });
    const log = await readFile(join(dir, "out", `verify-${BUNDLE}`, "app.log"), "utf8");
    expect(log).toMatch(/gb-demo-nodes: GBDemoVignette, with gb_demo_palette 1\.0\.0/);
    expect(log).not.toContain("IMPORT FAILED");
  });

  const variants: [string, string, RegExp, string[]][] = [
    ["refuses the graph (no such checkpoint): node_errors quoted", "comfy-no-checkpoints", /^POST \/prompt failed: ComfyUI refused the graph \(node_errors\): node 4 CheckpointLoaderSimple: Value not in list: ckpt_name: 'greenbundle\/demo-v1\.ckpt' not in \[\]/, []],
    ["fails while running the graph: the execution error quoted", "comfy-exec-error", /^GET \/history\/\{prompt_id\} failed: the prompt failed while it ran: node 3 KSampler raised RuntimeError: CUDA error: out of memory/, []],
    ["never finishes the prompt: a timeout with the app's last log lines", "comfy-never-done", /^GET \/history\/\{prompt_id\} failed: [0-9a-f-]{36}\.status\.completed == true did not hold within 8 s[\s\S]*last \d+ lines of the app's output:[\s\S]*KSampler: step \d+\/20 still sampling/, ["--timeout", "8"]],
  ];
  for (const [what, variant, reason, extra] of variants) {
    it.concurrent(`fails verification when the app ${what}`, async () => {
      const r = await verifyVariant(join(dir, "out", BUNDLE), join(dir, "reports"), variant, extra);
      expect(r.code).toBe(1);
      expect(r.failed.map((c) => c.id)).toEqual(["generate"]);
      expect(r.text).toMatch(reason);
      expect(r.report.checks.find((c) => c.id === "image")!.status).toBe("skip");
      // what was sent is in the report whatever happened
      expect(JSON.stringify(r.report.request)).toContain("CheckpointLoaderSimple");
      expect(r.stderr).toContain("verification failed: test generation");
    }, 300_000);
  }
});
