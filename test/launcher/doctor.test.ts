// The launcher's doctor: its rules as data (pure functions of the facts), and the launcher itself
// run from source against a fixture bundle with stand-in `nvidia-smi` and `ldconfig` programs
// first on PATH (an old driver, one that rejects compute_cap, an unknown new GPU, no GPU, two GPUs).

import { spawn } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { archSupported, compareVersions, evaluate, modeOf, type DoctorFacts } from "../../src/launcher/runtime/doctor-rules.ts";
import { doctorReport } from "../../src/launcher/runtime/doctor.ts";
import { mountOf, redact } from "../../src/launcher/runtime/doctor-probes.ts";
import { parseGpuQuery } from "../../src/launcher/runtime/nvidia-smi.ts";
import { parseArgs } from "../../src/launcher/runtime/args.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeFixtureBundle } from "./fixture.ts";

const CU121_LINUX = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"];
const NEEDS = { cuda: "12.1", min_driver: { win: "528.33", linux: "525.60.13" }, archs: CU121_LINUX, torch: "2.1.2+cu121" };
const GiB = 1024 ** 3;

function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    os: "linux",
    gpuQuery: { kind: "gpus", gpus: [{ index: 0, name: "NVIDIA GeForce RTX 4090", driver: "535.104.05", memoryMiB: 24564, computeCap: "8.9" }] },
    gpuIndex: 0,
    needs: NEEDS,
    vram: [{ below_gb: 4.5, args: ["--lowvram"] }, { below_gb: 8.5, args: ["--medvram"] }, { args: ["--xformers"] }],
    wsl: false,
    files: { missing: [], changed: [], python: true },
    path: { root: "/home/u/sd", longest: 120, largest: 4_265_146_304, network: false, writable: true, fsType: "ext4" },
    dlls: [],
    libs: [],
    git: { bundled: false, found: "/usr/bin/git", refreshQuiet: true },
    proxy: { proxies: [], noProxy: "" },
    port: { wanted: 7860, free: 7860 },
    disk: { freeBytes: 100 * GiB },
    ...over,
  };
}

const status = (f: DoctorFacts) => Object.fromEntries(evaluate(f).map((i) => [i.id, i.status]));
const gpu = (name: string, driver: string | undefined, memoryMiB: number, computeCap?: string) => ({ kind: "gpus" as const, gpus: [{ index: 0, name, ...(driver ? { driver } : {}), memoryMiB, ...(computeCap ? { computeCap } : {}) }] });

describe("the doctor's rules", () => {
  it("compare driver versions part by part and judge architectures as CUDA's compatibility rules do", () => {
    expect(compareVersions("535.104.05", "525.60.13")).toBeGreaterThan(0);
    expect(compareVersions("525.60.13", "525.60.13")).toBe(0);
    expect(compareVersions("470.182.03", "525.60.13")).toBeLessThan(0);
    expect(compareVersions("528.2", "528.33")).toBeLessThan(0);
    expect(archSupported("8.9", CU121_LINUX)).toBe(true); // sm_86 runs on 8.9
    expect(archSupported("6.1", CU121_LINUX)).toBe(true); // sm_60 runs on 6.1
    expect(archSupported("12.0", CU121_LINUX)).toBe(false); // RTX 50xx: no sm_12x, no PTX
    expect(archSupported("3.7", CU121_LINUX)).toBe(false);
    expect(archSupported("10.0", [...CU121_LINUX, "compute_90"])).toBe(true); // PTX is compiled for newer GPUs
    expect(archSupported("8.0", ["compute_90"])).toBe(false);
  });

  it("pass a good machine, in GPU mode, with every item of the OS and none of the other", () => {
    const f = facts();
    expect(status(f)).toEqual({ driver: "ok", "gpu-arch": "ok", vram: "ok", files: "ok", path: "ok", libs: "ok", git: "ok", proxy: "ok", port: "ok", disk: "ok" });
    const r = doctorReport(f);
    expect(r).toMatchObject({ ok: true, mode: "gpu", gpu: { name: "NVIDIA GeForce RTX 4090", driver: "535.104.05", memory_mb: 24564, compute_cap: "8.9" } });
    expect(Object.keys(status({ ...f, os: "windows" }))).toEqual(["driver", "gpu-arch", "vram", "files", "path", "vc-runtime", "git", "proxy", "port", "disk"]);
  });

  it("fail the driver below the CUDA minimum of the OS (Windows numbers under WSL) and fall back to the CPU", () => {
    const old = facts({ gpuQuery: gpu("NVIDIA GeForce RTX 3060", "516.94", 12288, "8.6") });
    expect(status(old).driver).toBe("fail");
    expect(modeOf(old, evaluate(old))).toBe("cpu");
    expect(doctorReport(old).items[0]).toMatchObject({ id: "driver", status: "fail", message: expect.stringContaining("516.94 is older than 525.60.13"), hint: expect.stringContaining("525.60.13 or newer") });
    expect(status(facts({ os: "windows", gpuQuery: gpu("x", "527.41", 12288, "8.6") })).driver).toBe("fail");
    expect(status(facts({ gpuQuery: gpu("x", "527.41", 12288, "8.6") })).driver).toBe("ok");
    expect(status(facts({ wsl: true, gpuQuery: gpu("x", "527.41", 12288, "8.6") })).driver).toBe("fail");
    expect(status(facts({ needs: undefined, gpuQuery: gpu("x", "400.1", 12288, "8.6") })).driver).toBe("ok");
  });

  it("fail a GPU the torch build has no kernels for, newer or older, and warn when the driver cannot tell", () => {
    const blackwell = facts({ gpuQuery: gpu("NVIDIA GeForce RTX 5090", "572.16", 32607, "12.0") });
    expect(doctorReport(blackwell)).toMatchObject({ ok: false, mode: "cpu", items: expect.arrayContaining([expect.objectContaining({ id: "gpu-arch", status: "fail", message: expect.stringContaining("newer than every GPU 2.1.2+cu121 has kernels for") })]) });
    expect(doctorReport(facts({ gpuQuery: gpu("Tesla K80", "535.1", 12000, "3.7") })).items[1]!.message).toContain("older than the GPUs");
    expect(status(facts({ gpuQuery: gpu("old", "470.182.03", 8192) }))["gpu-arch"]).toBe("warn");
    expect(status(facts({ needs: { ...NEEDS, archs: [] }, gpuQuery: gpu("x", "535.1", 8192, "12.0") }))["gpu-arch"]).toBe("ok");
  });

  it("warn below the smallest VRAM rule, and without any GPU (CPU mode, not a failure)", () => {
    expect(status(facts({ gpuQuery: gpu("GTX 1650", "535.1", 4096, "7.5") })).vram).toBe("warn");
    expect(status(facts({ gpuQuery: gpu("RTX 3060", "535.1", 8192, "8.6") })).vram).toBe("ok");
    const none = facts({ gpuQuery: { kind: "absent" } });
    expect(doctorReport(none)).toMatchObject({ ok: true, mode: "cpu", gpu: null });
    expect(status(none)).toMatchObject({ driver: "warn", "gpu-arch": "ok", vram: "ok" });
    expect(doctorReport(facts({ gpuQuery: { kind: "failed", detail: "No devices were found" } })).items[0]!.message).toContain("No devices were found");
    expect(doctorReport(facts({ gpuIndex: 2 })).items[0]).toMatchObject({ status: "fail", message: "--gpu 2: this machine has 1 NVIDIA GPU(s), numbered 0 to 0." });
  });

  it("judge the folder: read-only and FAT32 with a 4 GiB file fail; exFAT, network, OneDrive, Program Files and long paths warn", () => {
    const p = facts().path;
    expect(status(facts({ path: { ...p, writable: false } })).path).toBe("fail");
    // the SD 1.5 checkpoint (4,265,146,304 bytes) still fits FAT32's 4 GiB - 1; SDXL's 6.9 GB does not
    expect(status(facts({ path: { ...p, fsType: "vfat" } })).path).toBe("warn");
    expect(status(facts({ path: { ...p, fsType: "vfat", largest: 6_938_078_334 } })).path).toBe("fail");
    expect(status(facts({ path: { ...p, fsType: "vfat", largest: 1000 } })).path).toBe("warn");
    expect(status(facts({ path: { ...p, fsType: "exfat" } })).path).toBe("warn");
    expect(status(facts({ path: { ...p, fsType: "cifs", network: true } })).path).toBe("warn");
    const win = (over: Partial<DoctorFacts["path"]>) => status(facts({ os: "windows", path: { ...p, root: "D:\\sd", ...over } })).path;
    expect(win({ oneDrive: "C:\\Users\\u\\OneDrive", root: "C:\\Users\\u\\OneDrive\\Desktop\\sd" })).toBe("warn");
    expect(win({ programFiles: "C:\\Program Files" })).toBe("warn");
    expect(win({ longest: 260, longPaths: false })).toBe("warn");
    expect(win({ longest: 260, longPaths: true })).toBe("ok");
    expect(win({ fsType: "NTFS" })).toBe("ok");
  });

  it("name missing DLLs and libraries with what to install, and the files, git, proxy, port and disk findings", () => {
    const dll = (at: "bundle" | "system" | null) => [{ file: "msvcp140.dll", packages: ["torch"], at }];
    expect(status(facts({ os: "windows", dlls: dll("bundle") }))["vc-runtime"]).toBe("ok");
    expect(status(facts({ os: "windows", dlls: dll("system") }))["vc-runtime"]).toBe("ok");
    expect(doctorReport(facts({ os: "windows", dlls: dll(null) })).items.find((i) => i.id === "vc-runtime")).toMatchObject({ status: "fail", hint: expect.stringContaining("vc_redist.x64.exe") });
    const libs = [{ soname: "libGL.so.1", packages: ["opencv-python"], found: false, install: "libgl1 libglib2.0-0 / libglvnd-glx glib2" }];
    expect(doctorReport(facts({ libs })).items.find((i) => i.id === "libs")).toMatchObject({ status: "fail", message: "opencv-python need(s) libGL.so.1, which this system does not have.", hint: expect.stringContaining("libgl1") });
    expect(status(facts({ files: { missing: ["a"], changed: [], python: true } })).files).toBe("fail");
    expect(status(facts({ files: { missing: [], changed: ["webui/config.json"], python: true } })).files).toBe("warn");
    expect(status(facts({ git: { bundled: false, found: null, refreshQuiet: true } })).git).toBe("warn");
    expect(status(facts({ git: { bundled: false, found: null, refreshQuiet: false } })).git).toBe("fail");
    expect(status(facts({ proxy: { proxies: ["http://127.0.0.1:7890"], noProxy: "" } })).proxy).toBe("warn");
    expect(status(facts({ proxy: { proxies: ["http://127.0.0.1:7890"], noProxy: "localhost,127.0.0.1,::1" } })).proxy).toBe("ok");
    expect(status(facts({ port: { wanted: 7860, free: 7861 } })).port).toBe("warn");
    expect(status(facts({ port: { wanted: 7860, free: null } })).port).toBe("fail");
    expect(status(facts({ disk: { freeBytes: 2 * GiB } })).disk).toBe("warn");
    expect(status(facts({ disk: { freeBytes: 0.1 * GiB } })).disk).toBe("fail");
  });
});

describe("the doctor's readings", () => {
  it("parse nvidia-smi's lines, one per GPU, with unknown values left out", () => {
    expect(parseGpuQuery("NVIDIA GeForce RTX 4090, 535.104.05, 24564, 8.9\nTesla T4, 535.104.05, 15360, [N/A]\n\n")).toEqual([
      { index: 0, name: "NVIDIA GeForce RTX 4090", driver: "535.104.05", memoryMiB: 24564, computeCap: "8.9" },
      { index: 1, name: "Tesla T4", driver: "535.104.05", memoryMiB: 15360 },
    ]);
    expect(parseGpuQuery('Field "compute_cap" is not a valid field to query.\n\n')).toEqual([]);
  });

  it("find the mount of a folder and tell network file systems, and keep credentials out of proxy URLs", () => {
    const mounts = "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /media/u/USB\\040STICK exfat rw 0 0\n//nas/share /mnt/nas cifs rw 0 0\n";
    expect(mountOf(mounts, "/media/u/USB STICK/sd")).toEqual({ fsType: "exfat", network: false });
    expect(mountOf(mounts, "/mnt/nas/sd")).toEqual({ fsType: "cifs", network: true });
    expect(mountOf(mounts, "/home/u")).toEqual({ fsType: "ext4", network: false });
    expect(redact("http://user:secret@proxy:8080")).toBe("http://***@proxy:8080");
  });

  it("take --json with --check only, and --gpu N", () => {
    expect(parseArgs(["--check", "--json", "--gpu", "1"])).toEqual({ ok: true, args: expect.objectContaining({ check: true, json: true, gpu: 1 }) });
    expect(parseArgs(["--json"])).toEqual({ ok: false, error: "--json goes with --check" });
    expect(parseArgs(["--gpu", "x"])).toMatchObject({ ok: false });
  });
});

// ---------------------------------------------------------------------------------------------
// The launcher, run from source, with stand-in programs first on PATH.

const MAIN = new URL("../../src/launcher/runtime/main.ts", import.meta.url).pathname;

const SMI = {
  good: 'echo "NVIDIA GeForce RTX 4090, 535.104.05, 24564, 8.9"',
  old: 'echo "NVIDIA GeForce RTX 3060, 516.94, 12288, 8.6"',
  // R470 drivers do not know compute_cap and refuse the whole query
  "no-compute-cap": 'case "$*" in *compute_cap*) echo \'Field "compute_cap" is not a valid field to query.\'; echo; exit 2;; esac\necho "NVIDIA GeForce GTX 1080, 470.182.03, 8192"',
  new: 'echo "NVIDIA GeForce RTX 5090, 572.16, 32607, 12.0"',
  "no-driver": "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\"; exit 9",
  two: 'echo "NVIDIA GeForce GTX 1650, 535.104.05, 4096, 7.5"; echo "NVIDIA GeForce RTX 3090, 535.104.05, 24576, 8.6"',
} as const;

let base: string;

async function standIns(name: string, smi: string | undefined, ldconfig: string | undefined): Promise<string> {
  const dir = join(base, "bin", name);
  await mkdir(dir, { recursive: true });
  if (smi !== undefined) await writeFile(join(dir, "nvidia-smi"), `#!/bin/sh\n${smi}\n`);
  if (ldconfig !== undefined) await writeFile(join(dir, "ldconfig"), `#!/bin/sh\ncat <<'EOF'\n${ldconfig}\nEOF\n`);
  for (const f of ["nvidia-smi", "ldconfig"]) await chmod(join(dir, f), 0o755).catch(() => {});
  return dir;
}

function runMain(root: string, args: string[], path: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = { ...process.env, PATH: path, GREENBUNDLE_BUNDLE_ROOT: root, LANG: "C.UTF-8", LC_ALL: "", GREENBUNDLE_NO_LOG: "1", GREENBUNDLE_NO_BROWSER: "1", ...env };
    for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "GREENBUNDLE_FAKE_GPU"]) delete e[k];
    Object.assign(e, env);
    const child = spawn(process.execPath, [MAIN, ...args], { env: e, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.once("close", (c) => resolve({ code: c ?? -1, stdout, stderr }));
  });
}

let root: string;
let port = 17870;

beforeAll(async () => {
  base = await tempDir("gb-doctor-");
  root = join(base, "bundle");
  await makeFixtureBundle(root, { port });
  // A bundle with a CUDA torch and the GUI OpenCV, as the builder records them.
  const json = JSON.parse(await readFile(join(root, "bundle.json"), "utf8"));
  json.components = [
    { kind: "wheel", name: "torch", version: "2.1.2+cu121", dest: "python/lib/python3.10/site-packages" },
    { kind: "wheel", name: "opencv-python", version: "4.9.0.80", dest: "python/lib/python3.10/site-packages" },
  ];
  json.gpu = NEEDS;
  const { files, ...head } = json;
  await writeFile(join(root, "bundle.json"), JSON.stringify({ ...head, files }, null, 2));
});

const LIBS_ALL = "3 libs found in cache `/etc/ld.so.cache'\n\tlibGL.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libGL.so.1\n\tlibglib-2.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libglib-2.0.so.0\n\tlibgthread-2.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libgthread-2.0.so.0";

async function check(name: keyof typeof SMI | "absent", extra: string[] = [], ldconfig = LIBS_ALL) {
  const dir = await standIns(name, name === "absent" ? undefined : SMI[name], ldconfig);
  // the stand-ins first, then only what the fixture needs (its python3 wrapper, git, sh)
  const r = await runMain(root, ["--check", "--json", "--port", String(port), ...extra], `${dir}:/usr/local/bin:/usr/bin:/bin`);
  const report = JSON.parse(r.stdout) as { ok: boolean; mode: string; gpu: Record<string, unknown> | null; items: { id: string; status: string; message: string; hint: string }[] };
  const item = (id: string) => report.items.find((i) => i.id === id)!;
  return { ...r, report, item };
}

describe.skipIf(process.platform !== "linux")("launcher --check --json with stand-in programs on PATH", () => {
  it("passes a machine with a supported GPU and driver: exit 0, GPU mode, the first GPU's facts", async () => {
    const r = await check("good");
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ ok: true, mode: "gpu", gpu: { name: "NVIDIA GeForce RTX 4090", driver: "535.104.05", memory_mb: 24564, compute_cap: "8.9" } });
    expect(r.report.items.map((i) => i.id)).toEqual(["driver", "gpu-arch", "vram", "files", "path", "libs", "git", "proxy", "port", "disk"]);
    for (const i of r.report.items) expect(Object.keys(i)).toEqual(["id", "status", "message", "hint"]);
    expect(r.item("libs")).toMatchObject({ status: "ok", message: expect.stringContaining("libGL.so.1") });
  });

  it("fails an old driver (exit 1) and says the app runs on the CPU", async () => {
    const r = await check("old");
    expect(r.code).toBe(1);
    expect(r.report).toMatchObject({ ok: false, mode: "cpu" });
    expect(r.item("driver")).toMatchObject({ status: "fail", message: expect.stringContaining("516.94 is older than 525.60.13") });
  });

  it("asks an old driver again without compute_cap, fails the driver and cannot judge the architecture", async () => {
    const r = await check("no-compute-cap");
    expect(r.report).toMatchObject({ ok: false, mode: "cpu", gpu: { name: "NVIDIA GeForce GTX 1080", driver: "470.182.03", memory_mb: 8192, compute_cap: null } });
    expect(r.item("driver").status).toBe("fail");
    expect(r.item("gpu-arch").status).toBe("warn");
  });

  it("fails a GPU newer than the torch build knows, with the CPU mode", async () => {
    const r = await check("new");
    expect(r.report).toMatchObject({ ok: false, mode: "cpu" });
    expect(r.item("driver").status).toBe("ok");
    expect(r.item("gpu-arch")).toMatchObject({ status: "fail", message: expect.stringContaining("compute capability 12.0") });
  });

  it("runs on the CPU without a GPU, which is a warning and not a failure", async () => {
    for (const name of ["no-driver", "absent"] as const) {
      const r = await check(name);
      expect(r.code, name).toBe(0);
      expect(r.report).toMatchObject({ ok: true, mode: "cpu", gpu: null });
      expect(r.item("driver").status).toBe("warn");
    }
    expect((await check("no-driver")).item("driver").message).toContain("couldn't communicate with the NVIDIA driver");
  });

  it("judges the first of two GPUs unless --gpu picks another", async () => {
    const first = await check("two");
    expect(first.report.gpu).toMatchObject({ name: "NVIDIA GeForce GTX 1650", memory_mb: 4096 });
    expect(first.item("vram").status).toBe("warn");
    const second = await check("two", ["--gpu", "1"]);
    expect(second.report.gpu).toMatchObject({ name: "NVIDIA GeForce RTX 3090", memory_mb: 24576 });
    expect(second.item("vram").status).toBe("ok");
    expect((await check("two", ["--gpu", "2"])).item("driver").status).toBe("fail");
  });

  it("fails when the host lacks a library a bundled package needs, naming what to install", async () => {
    const r = await check("good", [], "1 libs found in cache `/etc/ld.so.cache'\n\tlibglib-2.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libglib-2.0.so.0");
    expect(r.code).toBe(1);
    expect(r.item("libs")).toMatchObject({ status: "fail", message: "opencv-python need(s) libGL.so.1, libgthread-2.0.so.0, which this system does not have.", hint: expect.stringContaining("libgl1") });
  });

  it("fails a changed JSON file of the release that no longer parses (a hand-edited config.json stops A1111 at start)", async () => {
    const copy = join(base, "bundle-json-edit");
    await makeFixtureBundle(copy, { port, allowChanges: ["logs/**"] });
    await writeFile(join(copy, "app", "config.json"), '{"localization": "zh_CN",}\n');
    const dir = await standIns("absent-json", undefined, LIBS_ALL);
    const r = await runMain(copy, ["--check", "--json", "--port", String(port)], `${dir}:/usr/local/bin:/usr/bin:/bin`);
    const files = (JSON.parse(r.stdout) as { items: { id: string; status: string; message: string }[] }).items.find((i) => i.id === "files")!;
    expect(r.code).toBe(1);
    expect(files).toMatchObject({ status: "fail", message: expect.stringContaining("app/config.json: changed, and no longer valid JSON") });
  });

  it("prints the same findings for people, 中文 then English", async () => {
    const dir = await standIns("old", SMI.old, LIBS_ALL);
    const r = await runMain(root, ["--check", "--port", String(port)], `${dir}:/usr/local/bin:/usr/bin:/bin`);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith("[FAIL] driver: NVIDIA 驱动版本 516.94"));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/→ 请将 NVIDIA 驱动更新到 525\.60\.13/);
    expect(lines[at + 2]).toMatch(/The NVIDIA driver 516\.94 is older than 525\.60\.13/);
    expect(lines[at + 3]).toMatch(/→ Update the NVIDIA driver to 525\.60\.13 or newer/);
    expect(r.stdout).toContain("mode: cpu (--cpu-mode)");
  });
});

describe.skipIf(process.platform !== "linux")("a normal start with the doctor", () => {
  it("starts with the recipe's CPU arguments when the driver is too old, says why, and prints the findings when the app fails", async () => {
    const dir = await standIns("old-start", SMI.old, LIBS_ALL);
    const r = await runMain(root, ["--no-browser", "--port", String(port + 1)], `${dir}:/usr/local/bin:/usr/bin:/bin`, { FIXTURE_FAIL: "RuntimeError: something deep in torch", FIXTURE_PIDS: join(base, "pids.json") });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("[launcher] Added arguments: --cpu-mode");
    expect(r.stdout).not.toContain("GPU: NVIDIA GeForce RTX 3060");
    expect(r.stderr).toContain("Starting on the CPU (--cpu-mode), because:");
    expect(r.stderr).toContain("516.94 is older than 525.60.13");
    expect(r.stderr).toContain("What the launcher found on this machine");
    expect(r.stderr).toMatch(/\[FAIL\] driver/);
  });

  it("pins the chosen GPU for CUDA with --gpu N and uses its VRAM rule", async () => {
    const dir = await standIns("two-start", SMI.two, LIBS_ALL);
    const r = await runMain(root, ["--no-browser", "--gpu", "1", "--port", String(port + 2)], `${dir}:/usr/local/bin:/usr/bin:/bin`, { FIXTURE_FAIL: "stop here", FIXTURE_PIDS: join(base, "pids2.json") });
    expect(r.stdout).toContain("GPU: NVIDIA GeForce RTX 3090, 24.0 GiB VRAM");
    expect(r.stdout).toContain("Added arguments: --fast");
  });
});
