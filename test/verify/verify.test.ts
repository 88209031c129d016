import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createHash } from "node:crypto";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packBundle } from "../../src/pack/index.ts";
import { writeSha256Sums } from "../../src/pack/sums.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verify/verify.ts";
import { hostPlatform } from "../../src/core/platform.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { hasUnshare, makeFakeBundle } from "./fake-bundle.ts";

const netns = hasUnshare();
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = await tempDir("gb-verify-");
  bundle = await makeFakeBundle(dir);
});

function opts(input: string, over: Partial<VerifyOptions> = {}, env: Record<string, string> = {}): VerifyOptions {
  return { input, gpu: "auto", hostPlatform: "linux-x64", allowNetns: true, cwd: dir, env: { ...process.env, ...env }, toolVersion: "test", tmpRoot: dir, reportDir: join(dir, "reports", Math.random().toString(36).slice(2)), ...over };
}

/** Live processes whose working folder or command line is under `dir` (the app runs with its cwd in the copy). */
function processesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (cwd.startsWith(dir) || cmd.includes(dir)) out.push(`${pid}: ${cmd}`);
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

const status = (r: Awaited<ReturnType<typeof verifyBundle>>) => Object.fromEntries(r.report.checks.map((c) => [c.id, c.status]));

describe("bundle verify on a hand-made bundle", () => {
  it("boots a copy in a path with spaces and CJK characters, generates, checks and reports", async () => {
    const r = await verifyBundle(opts(bundle));
    expect(r.report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.copy).toMatch(/greenbundle verify .*\/整合包 测试\/fake-1\.0\.0-linux-x64$/);
    expect(r.report.image).toMatchObject({ width: 96, height: 64 });
    expect(r.report.timings.ready).toBeGreaterThan(0);
    expect(r.report.gpu).toMatchObject({ used: false, torch: null });
    expect(r.report.changes!.allowed).toBeGreaterThan(0); // the launcher's log, allowed by logs/**
    const json = JSON.parse(await readFile(join(r.reportDir, "report.json"), "utf8"));
    expect(json.ok).toBe(true);
    const html = await readFile(join(r.reportDir, "report.html"), "utf8");
    expect(html).toContain("data:image/png;base64,");
    expect(html).toContain("Verified: every check passed.");
    expect(await readFile(join(r.reportDir, "image.png"))).toHaveLength(r.report.image!.bytes);
    expect(await readFile(join(r.reportDir, "app.log"), "utf8")).toContain("Running on local URL");
  });

  it.skipIf(!netns)("cuts the network with a namespace and stops through server-stop, leaving nothing behind", async () => {
    const r = await verifyBundle(opts(bundle));
    expect(r.report.offline.method).toBe("netns");
    const c = Object.fromEntries(r.report.checks.map((x) => [x.id, x.detail]));
    expect(c.stop).toMatch(/^POST server-stop/);
    expect(c.leftovers).toMatch(/no process left in the PID namespace; port \d+ closed/);
  });

  it("stops an app without server-stop through the launcher's own signal handling", async () => {
    const r = await verifyBundle(opts(await makeFakeBundle(await tempDir("gb-verify-nostop-"), { serverStop: false })));
    expect(r.ok).toBe(true);
    expect(r.report.checks.find((c) => c.id === "stop")!.detail).toMatch(/^SIGINT to the launcher: the launcher exited after/);
  });

  it("falls back to refusing proxies where no namespace can be made, and says so", async () => {
    const r = await verifyBundle(opts(bundle, { allowNetns: false }));
    expect(r.ok).toBe(true);
    expect(status(r).isolation).toBe("warn");
    expect(r.report.offline.detail).toMatch(/could NOT be cut off/);
  });

  it("unpacks a zip, checks it against SHA256SUMS and fails when the sum differs", async () => {
    const zip = join(dir, "fake-1.0.0-linux-x64.zip");
    execFileSync("zip", ["-qry", zip, "fake-1.0.0-linux-x64"], { cwd: dir });
    const sum = createHash("sha256").update(await readFile(zip)).digest("hex");
    await writeFile(join(dir, "SHA256SUMS"), `${sum}  fake-1.0.0-linux-x64.zip\n`);
    const good = await verifyBundle(opts(zip));
    expect(status(good)).toMatchObject({ source: "pass", extract: "pass", manifest: "pass" });
    expect(good.report.timings.extract).toBeGreaterThan(0);
    await writeFile(join(dir, "SHA256SUMS"), `${"0".repeat(64)}  fake-1.0.0-linux-x64.zip\n`);
    const bad = await verifyBundle(opts(zip));
    expect(bad.ok).toBe(false);
    expect(bad.report.failed).toEqual(["source"]);
    await rm(join(dir, "SHA256SUMS"));
  });

  it("takes a split release (package.split) from any of its volumes, checking each against SHA256SUMS", async () => {
    const out = join(dir, "split", "fake-1.0.0-linux-x64");
    const packed = await packBundle({ dir: join(dir, "fake-1.0.0-linux-x64"), out, format: "zip", mtime: new Date("2024-01-01T00:00:00Z"), split: 4096 }); // below the recipe minimum: only to get volumes of a small bundle
    expect(packed.files.length).toBeGreaterThan(2);
    await writeSha256Sums(join(dir, "split"), packed.files.map((path, i) => ({ path, sha256: packed.sha256[i]! })));
    const good = await verifyBundle(opts(packed.files[1]!));
    expect(status(good)).toMatchObject({ source: "pass", extract: "pass", manifest: "pass" });
    expect(good.ok).toBe(true);
    expect(good.report.checks.find((c) => c.id === "source")!.detail).toMatch(new RegExp(`^zip in ${packed.files.length} volumes, \\d+ bytes each match`));
    // one volume not as released: named, and nothing is booted
    const sums = await readFile(join(dir, "split", "SHA256SUMS"), "utf8");
    await writeFile(join(dir, "split", "SHA256SUMS"), sums.replace(packed.sha256[1]!, "0".repeat(64)));
    const bad = await verifyBundle(opts(packed.files[0]!));
    expect(bad.report.failed).toEqual(["source"]);
    expect(bad.report.checks.find((c) => c.id === "source")!.detail).toContain("sha256 of fake-1.0.0-linux-x64.zip.002");
    // a volume missing from the middle: a usage error, not a truncated archive
    await rm(packed.files[1]!);
    await expect(verifyBundle(opts(packed.files[0]!))).rejects.toThrow(/volume fake-1\.0\.0-linux-x64\.zip\.002 of fake-1\.0\.0-linux-x64\.zip is missing/);
  });

  it("unpacks a 7z release and a split one from its .7z.001, checking each volume against SHA256SUMS", async () => {
    const out = join(dir, "7z", "fake-1.0.0-linux-x64");
    const whole = await packBundle({ dir: join(dir, "fake-1.0.0-linux-x64"), out, format: "7z", mtime: new Date("2024-01-01T00:00:00Z"), level: 1 });
    const r = await verifyBundle(opts(whole.files[0]!));
    expect(r.ok).toBe(true);
    expect(r.report.checks.find((c) => c.id === "source")!.detail).toMatch(/^7z, \d+ bytes, sha256 [0-9a-f]{64} \(no SHA256SUMS next to it\); 7-Zip checks the CRCs/);
    const split = await packBundle({ dir: join(dir, "fake-1.0.0-linux-x64"), out: join(dir, "7z-split", "fake-1.0.0-linux-x64"), format: "7z", mtime: new Date("2024-01-01T00:00:00Z"), level: 1, split: 4096 }); // below the recipe minimum: only to get volumes of a small bundle
    expect(split.files.length).toBeGreaterThan(1);
    expect(split.files[0]!.endsWith("fake-1.0.0-linux-x64.7z.001")).toBe(true);
    await writeSha256Sums(join(dir, "7z-split"), split.files.map((path, i) => ({ path, sha256: split.sha256[i]! })));
    const good = await verifyBundle(opts(split.files[0]!));
    expect(status(good)).toMatchObject({ source: "pass", extract: "pass", bundle: "pass", manifest: "pass" });
    expect(good.ok).toBe(true);
  }, 120_000);

  it("unpacks a tar.gz release too", async () => {
    const tgz = join(dir, "fake-1.0.0-linux-x64.tar.gz");
    execFileSync("tar", ["-czf", tgz, "fake-1.0.0-linux-x64"], { cwd: dir });
    const r = await verifyBundle(opts(tgz));
    expect(r.ok).toBe(true);
    expect(r.report.checks.find((c) => c.id === "source")!.detail).toMatch(/^tar\.gz, \d+ bytes, sha256 [0-9a-f]{64} \(no SHA256SUMS next to it\); the gzip CRC is checked/);
  });

  it("fails an archive without its one top folder <name>-<version>-<platform>/, before booting anything", async () => {
    const t = await tempDir("gb-verify-top-");
    const flat = join(t, "fake-1.0.0-linux-x64.zip");
    execFileSync("zip", ["-qry", flat, "."], { cwd: join(dir, "fake-1.0.0-linux-x64") });
    const r = await verifyBundle(opts(flat));
    expect(r.report.failed).toEqual(["bundle"]);
    expect(r.report.checks.find((c) => c.id === "bundle")!.detail).toContain('must hold one top folder "fake-1.0.0-linux-x64/", but its files lie at its top');
    await cp(join(dir, "fake-1.0.0-linux-x64"), join(t, "renamed"), { recursive: true, verbatimSymlinks: true });
    const other = join(t, "other.zip");
    execFileSync("zip", ["-qry", other, "renamed"], { cwd: t });
    const o = await verifyBundle(opts(other));
    expect(o.report.checks.find((c) => c.id === "bundle")!.detail).toContain('its top folder is "renamed/"');
  });

  it("fails a zip whose entry no longer matches its CRC, before booting anything", async () => {
    const zip = join(await tempDir("gb-verify-crc-"), "fake-1.0.0-linux-x64.zip");
    execFileSync("zip", ["-qry0", zip, "fake-1.0.0-linux-x64"], { cwd: dir }); // stored: the bytes are findable
    const bytes = await readFile(zip);
    const at = bytes.indexOf("GBDEMO-CHECKPOINT-1");
    bytes[at] = "X".charCodeAt(0);
    await writeFile(zip, bytes);
    const r = await verifyBundle(opts(zip));
    expect(r.report.failed).toEqual(["extract"]);
    expect(r.report.checks.find((c) => c.id === "extract")!.detail).toMatch(/fake\.ckpt" fails its CRC-32 check/);
    expect(status(r).ready).toBe("skip");
  });

  it("does not boot a bundle whose files differ from its manifest", async () => {
    const broken = await makeFakeBundle(await tempDir("gb-verify-broken-"));
    await rm(join(broken, "app/painter.py"));
    const r = await verifyBundle(opts(broken));
    expect(r.report.failed).toEqual(["manifest"]);
    expect(r.report.checks.find((c) => c.id === "manifest")!.items).toEqual(["app/painter.py: missing"]);
    expect(status(r).ready).toBe("skip");
  });

  it("fails an all-black image", async () => {
    const r = await verifyBundle(opts(bundle, {}, { GREENBUNDLE_DEMO_VARIANT: "black" }));
    expect(r.report.failed).toEqual(["image"]);
    expect(r.report.checks.find((c) => c.id === "image")!.detail).toMatch(/all black/);
  });

  it("fails a first launch that writes into site-packages, naming the file", async () => {
    const r = await verifyBundle(opts(bundle, {}, { GREENBUNDLE_DEMO_VARIANT: "site-packages" }));
    expect(r.report.failed).toEqual(["changes"]);
    expect(r.report.checks.find((c) => c.id === "changes")!.items).toEqual(["added python/lib/python3.11/site-packages/demo_downloaded_at_first_launch.py (site-packages)"]);
  });

  it("fails an app that never becomes ready within the timeout, with its last log lines", async () => {
    const r = await verifyBundle(opts(bundle, { timeoutS: 5 }, { GREENBUNDLE_DEMO_VARIANT: "never-ready" }));
    expect(r.report.failed).toEqual(["ready"]);
    const ready = r.report.checks.find((c) => c.id === "ready")!;
    expect(ready.detail).toMatch(/not ready within 5 s \(GET \/sdapi\/v1\/sd-models: HTTP 503\)/);
    expect(ready.items!.join("\n")).toContain("still loading the model");
    expect(ready.items!.length).toBeLessThanOrEqual(51);
    expect(status(r)).toMatchObject({ generate: "skip", image: "skip", stop: "pass", leftovers: "pass" });
  });

  for (const allowNetns of netns ? [true, false] : [false]) {
    it(`fails a first launch that reaches for the network as an offline violation (${allowNetns ? "namespace" : "proxy fallback"})`, async () => {
      const r = await verifyBundle(opts(bundle, { allowNetns }, { GREENBUNDLE_DEMO_VARIANT: "network" }));
      expect(r.report.failed).toEqual(["offline"]);
      const offline = r.report.checks.find((c) => c.id === "offline")!;
      expect(offline.detail).toMatch(/^offline violation: the app reached for the network \((connection to 203\.0\.113\.1:80|request through the proxy to http:\/\/203\.0\.113\.1\/demo\/latest-version)\)/);
    });
  }

  it.skipIf(!netns)("records a connection to a literal address on a local-proxy port (7890) as an offline violation (needs unshare)", async () => {
    const r = await verifyBundle(opts(bundle, { allowNetns: true }, { GREENBUNDLE_DEMO_VARIANT: "proxy-port" }));
    expect(r.report.failed).toEqual(["offline"]);
    expect(r.report.checks.find((c) => c.id === "offline")!.detail).toContain("connection to 203.0.113.1:7890");
  });

  it("fails a launcher that leaves a process behind, and kills it", async () => {
    const r = await verifyBundle(opts(bundle, {}, { FAKE_LAUNCHER_LEAK: "1" }));
    expect(r.report.failed).toEqual(["leftovers"]);
    expect(r.report.checks.find((c) => c.id === "leftovers")!.items!.join("\n")).toMatch(/sleep 300/);
  });

  it("fails --gpu require when the GPU did not generate the image", async () => {
    const r = await verifyBundle(opts(bundle, { gpu: "require" }));
    expect(r.report.failed).toEqual(["gpu"]);
    expect(r.report.checks.find((c) => c.id === "gpu")!.detail).toMatch(/--gpu require: the GPU was not used.*no torch.*CUDA: unavailable/);
  });

  for (const allowNetns of netns ? [true, false] : [false]) {
    it(`stops every process of the run and removes the copy when interrupted (${allowNetns ? "namespace" : "proxy fallback"})`, async () => {
      const tmpRoot = await tempDir("gb-verify-abort-");
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("SIGINT")), 2500);
      const run = verifyBundle(opts(bundle, { signal: ac.signal, tmpRoot, timeoutS: 60, allowNetns }, { GREENBUNDLE_DEMO_VARIANT: "never-ready" }));
      await expect(run).rejects.toMatchObject({ code: "INTERRUPTED" });
      expect(await readdir(tmpRoot)).toEqual([]);
      let left = "";
      for (let i = 0; i < 20; i++) {
        left = processesUnder(tmpRoot).join("\n");
        if (!left) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(left).toBe("");
    });
  }

  it("asks the bundled Python about torch and CUDA, and still fails --gpu require when the app did not use the GPU", async () => {
    const withTorch = await makeFakeBundle(await tempDir("gb-verify-torch-"), { torch: true });
    const auto = await verifyBundle(opts(withTorch));
    expect(auto.ok).toBe(true);
    expect(auto.report.gpu.torch).toEqual({ version: "2.1.2+cu121", cuda: true, cudaVersion: "12.1", device: "Fake GPU 24GB", memoryGiB: 24 });
    expect(auto.report.checks.find((c) => c.id === "gpu")!.detail).toBe("generated without a GPU — torch 2.1.2+cu121, CUDA 12.1 on Fake GPU 24GB (24 GiB); CUDA: unavailable");
    const required = await verifyBundle(opts(withTorch, { gpu: "require" }));
    expect(required.report.failed).toEqual(["gpu"]);
    const off = await verifyBundle(opts(withTorch, { gpu: "off" }));
    expect(off.report.gpu.torch).toBeNull();
    expect(off.report.checks.find((c) => c.id === "gpu")!.status).toBe("skip");
  });

  it("refuses to boot a bundle built for another platform", async () => {
    const r = await verifyBundle(opts(bundle, { hostPlatform: "win-x64" }));
    expect(r.report.failed).toEqual(["bundle"]);
    expect(r.report.checks.find((c) => c.id === "bundle")!.detail).toMatch(/for linux-x64; this machine is win-x64/);
  });

  it("refuses a linux-arm64 bundle on this linux-x64 host before unpacking its zip, and the command exits 1 saying so", async () => {
    const armDir = await tempDir("gb-verify-arm-");
    const root = join(armDir, "fake-1.0.0-linux-arm64");
    await cp(bundle, root, { recursive: true });
    const bj = JSON.parse(await readFile(join(root, "bundle.json"), "utf8")) as { platform: string };
    await writeFile(join(root, "bundle.json"), JSON.stringify({ ...bj, platform: "linux-arm64" }, null, 2));
    const zip = (await packBundle({ dir: root, out: join(armDir, "fake-1.0.0-linux-arm64"), format: "zip", mtime: new Date("2024-01-01T00:00:00Z") })).files[0]!;
    const r = await verifyBundle(opts(zip));
    expect(r.report.failed).toEqual(["bundle"]);
    const detail = r.report.checks.find((c) => c.id === "bundle")!.detail;
    expect(detail).toContain("cannot boot a linux-arm64 bundle on this linux-x64 host");
    expect(status(r).extract).toBe("skip");
    const fromFolder = await verifyBundle(opts(root, { hostPlatform: undefined, hostLabel: "darwin-arm64" }));
    expect(fromFolder.report.checks.find((c) => c.id === "bundle")!.detail).toContain("cannot boot a linux-arm64 bundle on this darwin-arm64 host");
    if (hostPlatform() !== "linux-x64") return; // the command line asks the real machine
    const cli = await runCli(["verify", zip, "--report", join(armDir, "report")], { cwd: armDir });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain("cannot boot a linux-arm64 bundle on this linux-x64 host");
  });
});
