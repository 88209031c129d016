// What the progress views show: speed and ETA per download and overall, plain lines in CI.
import { describe, expect, it } from "vitest";
import { ProgressModel, fmtBytes, fmtDuration } from "../../src/cli/progress-view.ts";
import { plainRenderer } from "../../src/cli/render.ts";

describe("progress view", () => {
  it("shows each active download with its speed and ETA, and the total speed and ETA in the title", () => {
    const m = new ProgressModel();
    m.apply({ type: "stage", stage: "fetch", status: "start", detail: "2 artifacts" }, 0);
    m.apply({ type: "download:start", id: "python", url: "u", total: 10_485_760 }, 0);
    m.apply({ type: "download:start", id: "file:models/a.bin", url: "u", total: 20_971_520, resumeFrom: 1_048_576 }, 0);
    m.apply({ type: "download:progress", id: "python", bytes: 1_048_576, total: 10_485_760 }, 1000);
    m.apply({ type: "download:progress", id: "file:models/a.bin", bytes: 3_145_728, total: 20_971_520 }, 1000);
    const v = m.view(120);
    expect(v.title).toBe("fetch: 0 downloaded, 2 active · 4.0 MiB · 3.0 MiB/s · ETA 9s");
    expect(v.lines[0]).toBe("2 artifacts");
    expect(v.lines[1]).toMatch(/^python\s+10% 1\.0 MiB \/ 10\.0 MiB\s+1\.0 MiB\/s ETA 9s$/);
    expect(v.lines[2]).toMatch(/^file:models\/a\.bin\s+15% 3\.0 MiB \/ 20\.0 MiB\s+2\.0 MiB\/s ETA 9s$/);
  });

  it("keeps the last notes: mirror switches, retries, finished and failed downloads", () => {
    const m = new ProgressModel();
    m.apply({ type: "download:start", id: "a", url: "u", total: 100 }, 0);
    m.apply({ type: "download:mirror", id: "a", from: "x", to: "y", reason: "HTTP 503" }, 10);
    m.apply({ type: "download:retry", id: "b", attempt: 2, delayMs: 1500, reason: "every mirror failed" }, 20);
    m.apply({ type: "download:done", id: "a", url: "y", bytes: 100, cached: false }, 2000);
    m.apply({ type: "download:done", id: "c", url: "z", bytes: 5, cached: true }, 2000);
    m.apply({ type: "download:failed", id: "b", reason: "no mirror has it" }, 2100);
    expect(m.view().lines).toEqual(["↪ a: HTTP 503; trying y", "⟳ b: every mirror failed; round 2 in 2s", "✔ a 100 B in 2s", "✖ b: no mirror has it"]);
    expect(m.overall()).toBe("1 downloaded, 1 cached, 1 failed · 100 B · avg 50 B/s");
  });

  it("shows rates under 1 KiB/s as whole bytes", () => {
    expect([182.7956989247312, 0.4, 1023.6, 1536].map(fmtBytes)).toEqual(["183 B", "0 B", "1.0 KiB", "1.5 KiB"]);
  });

  it("formats durations for humans", () => {
    expect([0.2, 59, 61, 3725].map(fmtDuration)).toEqual(["1s", "59s", "1m 01s", "1h 02m"]);
  });
});

describe("plain renderer", () => {
  it("prints one line per download event and says where a resumed download continues", () => {
    let out = "";
    const r = plainRenderer((s) => (out += s));
    r.emit({ type: "download:start", id: "python", url: "http://m/p.tgz", total: 2048, resumeFrom: 1024 });
    r.emit({ type: "download:mirror", id: "node", from: "http://a/n", to: "http://b/n", reason: "HTTP 404" });
    r.emit({ type: "download:done", id: "python", url: "http://m/p.tgz", bytes: 2048, cached: false });
    r.emit({ type: "download:done", id: "git", url: "http://m/g", bytes: 1, cached: true });
    expect(out.split("\n")).toEqual([
      "GET  python http://m/p.tgz (resuming at 1.0 KiB)",
      "NEXT node: HTTP 404; trying http://b/n",
      expect.stringMatching(/^DONE python 2\.0 KiB( in \d+s \(.*\/s\))?$/),
      "",
    ]);
  });

  it("prints each stage's time with --verbose, and no done line without it", () => {
    const run = (verbose: boolean) => {
      let out = "";
      const r = plainRenderer((s) => (out += s), verbose);
      r.emit({ type: "stage", stage: "python", status: "start" });
      r.emit({ type: "stage", stage: "python", status: "done", ms: 1234.5 });
      r.emit({ type: "stage", stage: "pack", status: "done", detail: "dist/x.zip", ms: 50 });
      return out.split("\n").filter(Boolean);
    };
    expect(run(true)).toEqual(["==> python", "ok  python (1.23 s)", "ok  pack: dist/x.zip (0.05 s)"]);
    expect(run(false)).toEqual(["==> python"]);
  });
});
