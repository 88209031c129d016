import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check, CHECK_ORDER, gpuCheck } from "../../src/verify/checks.ts";
import { renderReportHtml } from "../../src/verify/report-html.ts";
import { summarize, writeReport } from "../../src/verify/report.ts";
import type { VerifyReport } from "../../src/verify/report-types.ts";
import { logTail } from "../../src/verify/verify-boot.ts";
import { tempDir } from "../helpers/tmp.ts";
import { encodePng, pattern } from "./png-fixtures.ts";

function report(over: Partial<VerifyReport> = {}): VerifyReport {
  const checks = CHECK_ORDER.map((id) => check(id, "pass", `${id} ok`));
  return {
    format: 1,
    ok: true,
    tool: { name: "greenbundle", version: "0.1.0" },
    bundle: { name: "demo", version: "1.0.0", platform: "linux-x64", title: "Demo <整合包>" },
    source: { path: "/d/demo.zip", kind: "zip", bytes: 10, sha256: "ab".repeat(32) },
    copy: { path: "/tmp/greenbundle verify x/整合包 测试/demo", kept: false },
    offline: { method: "netns", detail: "namespace", attempts: [] },
    timings: { extract: 1.5, manifest: 0.5, ready: 2, generate: 1.25, stop: 0.6, total: 9 },
    gpu: { mode: "auto", torch: null, memory: null, used: false, detail: "no torch" },
    request: { prompt: "a cute cat", width: 4, height: 4 },
    image: { file: "image.png", bytes: 99, sha256: "cd".repeat(32), width: 4, height: 4, stats: null },
    changes: { violations: 0, pycache: 0, allowed: 1, other: 0, lists: { violations: [], pycache: [], allowed: [{ path: "logs/a.log", change: "added" }], other: [] } },
    log: { file: "app.log", lines: 2, tail: ["Running on local URL", "<b>done</b>"] },
    checks,
    failed: [],
    ...over,
  };
}

describe("the verify report", () => {
  it("writes report.json, report.html, the image and the log, replacing an older report folder whole", async () => {
    const dir = join(await tempDir("gb-report-"), "verify-demo-1.0.0-linux-x64");
    await mkdir(dir);
    await writeFile(join(dir, "stale.txt"), "from an older run");
    const png = encodePng({ width: 4, height: 4, colorType: 2, bitDepth: 8, samples: pattern(4, 4) });
    await writeReport(dir, report(), { png, log: "line 1\nline 2\n" });
    expect((await readdir(dir)).sort()).toEqual(["app.log", "image.png", "report.html", "report.json"]);
    expect(JSON.parse(await readFile(join(dir, "report.json"), "utf8"))).toMatchObject({ format: 1, ok: true, timings: { ready: 2 } });
    expect(await readFile(join(dir, "image.png"))).toEqual(png);
    expect((await readdir(join(dir, ".."))).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("renders a self-contained page: the image inline, text escaped, no scripts or outside resources", () => {
    const png = Buffer.from("fake png bytes");
    const html = renderReportHtml(report(), png);
    expect(html).toContain(`src="data:image/png;base64,${png.toString("base64")}"`);
    expect(html).toContain("Demo &lt;整合包&gt;");
    expect(html).toContain("&lt;b&gt;done&lt;/b&gt;");
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html).toContain("extract 1.50 s · manifest 0.50 s · ready 2.00 s · generate 1.25 s · stop 0.60 s · total 9.00 s");
  });

  it("leads with the failed checks when verification failed, and opens their items", () => {
    const checks = CHECK_ORDER.map((id) => (id === "changes" ? check(id, "fail", "the first launch changed 1 file(s)", ["added python/lib/x.py (site-packages)"]) : check(id, "pass", "ok")));
    const html = renderReportHtml(report({ ok: false, checks, failed: ["changes"] }));
    expect(html).toContain("Not verified: 1 check(s) failed — first launch changed nothing it should not.");
    expect(html).toContain("<details open><summary>1 item(s)</summary>");
    expect(html.indexOf("Not verified")).toBeLessThan(html.indexOf("<h2>Generated image</h2>"));
  });

  it("summarizes one line per check, with the items of failures, capped", () => {
    const items = Array.from({ length: 15 }, (_, i) => `pid ${i}: sleep`);
    const text = summarize(report({ checks: [check("ready", "pass", "ready after 2 s"), check("leftovers", "fail", "15 process(es) outlived the launcher", items)] }));
    expect(text.split("\n")).toEqual([
      "PASS  app ready: ready after 2 s",
      "FAIL  nothing left running: 15 process(es) outlived the launcher",
      ...items.slice(0, 12).map((i) => `        ${i}`),
      "        … 3 more in report.json",
    ]);
  });

  it("keeps the last 50 lines of the app's output, without colour codes", () => {
    const log = Array.from({ length: 80 }, (_, i) => `\x1b[32mline ${i}\x1b[0m`).join("\r\n") + "\n\n";
    const t = logTail(log);
    expect(t.lines).toBe(80);
    expect(t.tail).toHaveLength(50);
    expect(t.tail[0]).toBe("line 30");
    expect(t.tail.at(-1)).toBe("line 79");
  });
});

describe("the GPU check", () => {
  const torch = { version: "2.1.2+cu121", cuda: true, cudaVersion: "12.1", device: "NVIDIA GeForce RTX 4090", memoryGiB: 23.99 };
  const used = { used: true, detail: "CUDA peak allocation 3.4 GiB of 24 GiB", figures: { allocatedPeakGiB: 3.4 } };
  const unused = { used: false, detail: "CUDA: unavailable", figures: {} };

  it("passes --gpu require when CUDA memory was allocated for the generation", () => {
    const g = gpuCheck("require", torch, used);
    expect(g.check.status).toBe("pass");
    expect(g.check.detail).toBe("the GPU generated the image — torch 2.1.2+cu121, CUDA 12.1 on NVIDIA GeForce RTX 4090 (23.99 GiB); CUDA peak allocation 3.4 GiB of 24 GiB");
  });

  it("fails --gpu require when the image was made on the CPU, and only records that with --gpu auto", () => {
    expect(gpuCheck("require", torch, unused).check).toMatchObject({ status: "fail", detail: expect.stringMatching(/^--gpu require: the GPU was not used/) });
    expect(gpuCheck("auto", torch, unused).check.status).toBe("pass");
    expect(gpuCheck("require", { error: "ImportError: libcudart.so.12" }, null).check.detail).toMatch(/torch could not be imported: ImportError/);
  });

  it("does not claim GPU use it could not observe", () => {
    expect(gpuCheck("auto", torch, null)).toMatchObject({ used: null, check: { status: "pass", detail: expect.stringMatching(/^GPU use unknown/) } });
    expect(gpuCheck("require", torch, null).check.status).toBe("fail");
    expect(gpuCheck("off", torch, used)).toMatchObject({ used: null, check: { status: "skip" } });
  });
});
