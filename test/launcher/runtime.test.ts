// The launcher's decisions, tested without building it: arguments, language, environment,
// GPU rules, failure recognition, manifest checks, path warnings.

import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/launcher/runtime/args.ts";
import { detectLang, msg } from "../../src/launcher/runtime/i18n.ts";
import { buildEnv, fillPlaceholders } from "../../src/launcher/runtime/env.ts";
import { chooseGpuArgs, parseNvidiaSmi } from "../../src/launcher/runtime/gpu.ts";
import { LineSplitter, recognise } from "../../src/launcher/runtime/failures.ts";
import { allowedChanges, fullCheck, globToRegExp, quickCheck } from "../../src/launcher/runtime/manifest.ts";
import { pathWarnings } from "../../src/launcher/runtime/paths.ts";
import { logName } from "../../src/launcher/runtime/log.ts";
import { loadBundle } from "../../src/launcher/runtime/config.ts";
import { serializeBundleJson, type BundleJson } from "../../src/contract/bundle-json.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("launcher arguments", () => {
  it("reads the documented flags and passes everything after -- to the app", () => {
    expect(parseArgs(["--no-browser", "--port", "8000", "--", "--medvram", "--port", "1"])).toEqual({
      ok: true,
      args: { help: false, version: false, check: false, noBrowser: true, port: 8000, appArgs: ["--medvram", "--port", "1"] },
    });
    expect(parseArgs(["--port=9000", "--check"])).toMatchObject({ ok: true, args: { port: 9000, check: true } });
    expect(parseArgs(["--version"])).toMatchObject({ ok: true, args: { version: true } });
    expect(parseArgs(["--help"])).toMatchObject({ ok: true, args: { help: true } });
  });

  it("refuses a bad port and unknown options, pointing at --", () => {
    expect(parseArgs(["--port", "70000"])).toMatchObject({ ok: false, error: expect.stringContaining("--port needs a number") });
    expect(parseArgs(["--port"])).toMatchObject({ ok: false, error: expect.stringContaining("nothing") });
    expect(parseArgs(["--medvram"])).toMatchObject({ ok: false, error: expect.stringContaining("after --") });
  });
});

describe("launcher language", () => {
  it("speaks Chinese when LANG, LC_MESSAGES, LC_ALL or the Windows locale is Chinese", () => {
    expect(detectLang({ LANG: "zh_CN.UTF-8" }, undefined)).toBe("zh");
    expect(detectLang({ LANG: "en_US.UTF-8", LC_MESSAGES: "zh_TW.UTF-8" }, undefined)).toBe("zh");
    expect(detectLang({ LANG: "zh_CN.UTF-8", LC_ALL: "C" }, "en-US")).toBe("en");
    expect(detectLang({}, "zh-Hans-CN")).toBe("zh");
    expect(detectLang({ LANG: "C" }, "zh-CN")).toBe("zh");
    expect(detectLang({ LANG: "C.UTF-8" }, "zh-CN")).toBe("zh");
  });

  it("speaks English otherwise", () => {
    expect(detectLang({ LANG: "de_DE.UTF-8" }, "zh-CN")).toBe("en");
    expect(detectLang({}, "en-US")).toBe("en");
    expect(detectLang({}, undefined)).toBe("en");
  });

  it("has every message in both languages", () => {
    expect(msg("zh", "noGpu")).toContain("显卡");
    expect(msg("en", "portShifted", { from: 7860, to: 7861 })).toBe("Port 7860 is in use; using 7861.");
  });
});

describe("the app's environment", () => {
  const placeholders = { bundle: "/b", python: "/b/python/bin/python3", git: "/usr/bin/git", port: "7861" };

  it("fills {bundle} {python} {git} {port} and leaves other braces alone", () => {
    expect(fillPlaceholders("{bundle}/hf:{port}:{other}", placeholders)).toBe("/b/hf:7861:{other}");
  });

  it("puts the bundled folders first on PATH, turns user site off and drops PYTHONHOME and PYTHONPATH", () => {
    const env = buildEnv({
      inherited: { PATH: "/usr/bin", PYTHONHOME: "/x", PYTHONPATH: "/y", HOME: "/root" },
      windows: false,
      placeholders,
      pathFirst: ["/b/python/bin"],
      repos: ["/b/webui"],
      pipIndexUrl: "https://mirror/simple",
      recipeEnv: { HF_HOME: "{bundle}/hf" },
    });
    expect(env).toMatchObject({ PATH: "/b/python/bin:/usr/bin", PYTHONNOUSERSITE: "1", PIP_INDEX_URL: "https://mirror/simple", HF_HOME: "/b/hf", HOME: "/root" });
    expect(env).toMatchObject({ GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: "/b/webui" });
    expect(env.PYTHONHOME).toBeUndefined();
    expect(env.PYTHONPATH).toBeUndefined();
  });

  it("treats Windows variable names case-insensitively and appends to the user's own GIT_CONFIG entries", () => {
    const env = buildEnv({
      inherited: { Path: "C:\\Windows", PythonPath: "C:\\x", GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "core.longpaths", GIT_CONFIG_VALUE_0: "true" },
      windows: true,
      placeholders,
      pathFirst: ["D:\\b\\python", "D:\\b\\git\\cmd"],
      repos: ["D:\\b\\webui"],
      recipeEnv: {},
    });
    expect(env.Path).toBe("D:\\b\\python;D:\\b\\git\\cmd;C:\\Windows");
    expect(env.PATH).toBeUndefined();
    expect(env.PythonPath).toBeUndefined();
    expect(env).toMatchObject({ GIT_CONFIG_COUNT: "2", GIT_CONFIG_KEY_0: "core.longpaths", GIT_CONFIG_KEY_1: "safe.directory", GIT_CONFIG_VALUE_1: "D:/b/webui" });
  });
});

describe("GPU rules", () => {
  const rules = { cpu: ["--use-cpu", "all"], vram: [{ below_gb: 4.5, args: ["--lowvram"] }, { below_gb: 8.5, args: ["--medvram"] }, { args: ["--xformers"] }] };

  it("parses nvidia-smi's CSV output", () => {
    expect(parseNvidiaSmi("NVIDIA GeForce RTX 3060, 12288\r\nNVIDIA GeForce GTX 1650, 4096\n")).toEqual([
      { name: "NVIDIA GeForce RTX 3060", memoryMiB: 12288 },
      { name: "NVIDIA GeForce GTX 1650", memoryMiB: 4096 },
    ]);
    expect(parseNvidiaSmi("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toEqual([]);
  });

  it("applies the first VRAM rule that fits the largest GPU, and the CPU arguments without a GPU", () => {
    expect(chooseGpuArgs([{ name: "a", memoryMiB: 4096 }], rules).args).toEqual(["--lowvram"]);
    expect(chooseGpuArgs([{ name: "a", memoryMiB: 8192 }], rules).args).toEqual(["--medvram"]);
    expect(chooseGpuArgs([{ name: "a", memoryMiB: 4096 }, { name: "b", memoryMiB: 24576 }], rules)).toEqual({ args: ["--xformers"], gpu: { name: "b", memoryMiB: 24576 } });
    expect(chooseGpuArgs(null, rules)).toEqual({ args: ["--use-cpu", "all"], gpu: null });
    expect(chooseGpuArgs([], rules).gpu).toBeNull();
  });
});

describe("failures recognised in the app's output", () => {
  it("recognises out of GPU memory, missing Windows runtime DLLs, a taken port and a missing module", () => {
    expect(recognise("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB")?.kind).toBe("oom");
    expect(recognise("OSError: [WinError 126] The specified module could not be found. Error loading \"c10.dll\"")?.kind).toBe("vcredist");
    expect(recognise("OSError: [WinError 1114] A dynamic link library (DLL) initialization routine failed.")?.kind).toBe("vcredist");
    expect(recognise("ImportError: DLL load failed: msvcp140.dll")?.kind).toBe("vcredist");
    expect(recognise("OSError: [Errno 98] Address already in use")?.kind).toBe("port");
    expect(recognise("OSError: [WinError 10048] Only one usage of each socket address is normally permitted")?.kind).toBe("port");
    expect(recognise("ModuleNotFoundError: No module named 'gradio'")).toEqual({ kind: "module", key: "failModule", params: { module: "gradio" } });
    expect(recognise("Loading weights [6ce0161689] from model.safetensors")).toBeUndefined();
  });

  it("splits output into lines across chunks and carriage returns", () => {
    const s = new LineSplitter();
    expect(s.push("a\r\nb")).toEqual(["a"]);
    expect(s.push("c\rd\n")).toEqual(["bc", "d"]);
    expect(s.push("tail")).toEqual([]);
    expect(s.flush()).toEqual(["tail"]);
  });
});

describe("manifest checks", () => {
  it("matches allow_changes globs with *, ** and ?", () => {
    expect(globToRegExp("webui/outputs/**").test("webui/outputs/a/b.png")).toBe(true);
    expect(globToRegExp("**/*.pyc").test("a/b/c.pyc")).toBe(true);
    expect(globToRegExp("**/*.pyc").test("c.pyc")).toBe(true);
    expect(globToRegExp("webui/*.json").test("webui/a/config.json")).toBe(false);
    expect(globToRegExp("a?.txt").test("ab.txt")).toBe(true);
    expect(allowedChanges(["logs/**", "webui/config.json"])("webui/config.json")).toBe(true);
  });

  it("finds missing files quickly and changed ones by hash, ignoring allowed changes", async () => {
    const root = await tempDir("gb-manifest-");
    await mkdir(join(root, "a"), { recursive: true });
    await writeFile(join(root, "a", "keep.txt"), "keep");
    await writeFile(join(root, "a", "edited.txt"), "EDIT");
    await writeFile(join(root, "config.json"), "{ changed }");
    await writeFile(join(root, "big.bin"), Buffer.alloc(2 << 20));
    const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
    const files = [
      { path: "a/edited.txt", size: 4, sha256: sha("edit") },
      { path: "a/keep.txt", size: 4, sha256: sha("keep") },
      { path: "a/gone.txt", size: 1, sha256: sha("x") },
      { path: "big.bin", size: 3 << 20, sha256: sha("x") },
      { path: "config.json", size: 2, sha256: sha("{}") },
      { path: "nodir/x.py", size: 1, sha256: sha("x") },
    ];
    const allowed = allowedChanges(["config.json"]);
    expect(await quickCheck(root, files, allowed)).toEqual({ checked: 6, missing: ["a/gone.txt", "nodir/x.py"], changed: ["big.bin"] });
    expect(await fullCheck(root, files, allowed)).toEqual({ checked: 6, missing: ["a/gone.txt", "nodir/x.py"], changed: ["a/edited.txt", "big.bin"] });
    await rm(join(root, "config.json"));
    expect((await quickCheck(root, files, allowed)).missing).not.toContain("config.json");
  });
});

describe("reading bundle.json", () => {
  const doc = {
    format: 1,
    name: "x",
    version: "1",
    title: "X",
    platform: "linux-x64",
    builder: { name: "greenbundle", version: "t" },
    components: [{ kind: "file", name: "files", dest: "a" }],
    launcher: { name: "launcher", title: "X", version: "1", cwd: "", command: ["{python}"], port: 7860, ready: "/", env: {}, gpu: { cpu: [], vram: [] }, python: "p", git: null, repos: [] },
    files: [{ path: "a", size: 1, sha256: "0".repeat(64) }],
  };

  it("reads the launcher settings before, and the manifest apart from, the rest", async () => {
    const root = await tempDir("gb-bundlejson-");
    await writeFile(join(root, "bundle.json"), serializeBundleJson(doc as BundleJson));
    const b = loadBundle(root);
    expect(b.launcher.port).toBe(7860);
    expect((b.json as { files?: unknown }).files).toBeUndefined(); // the head was parsed alone
    expect(b.files()).toEqual(doc.files);
  });

  it("reads any other JSON layout in one go", async () => {
    const root = await tempDir("gb-bundlejson-");
    await writeFile(join(root, "bundle.json"), JSON.stringify(doc));
    expect(loadBundle(root).files()).toEqual(doc.files);
    await writeFile(join(root, "bundle.json"), JSON.stringify({ ...doc, launcher: { ...doc.launcher, port: "x" } }, null, 2));
    expect(() => loadBundle(root)).toThrow(/launcher.port/);
  });
});

describe("path warnings", () => {
  it("warns about non-ASCII characters, spaces, and paths over MAX_PATH on Windows only", () => {
    expect(pathWarnings("D:\\AI\\整合包 v1", 10, true).map((w) => w.key)).toEqual(["pathNonAscii", "pathSpaces"]);
    expect(pathWarnings("D:\\sd", 200, true)).toEqual([]);
    expect(pathWarnings("D:\\" + "x".repeat(100), 160, true).map((w) => w.key)).toEqual(["pathLong"]);
    expect(pathWarnings("/" + "x".repeat(100), 160, false)).toEqual([]);
  });

  it("names log files by local time without characters Windows forbids", () => {
    expect(logName(new Date(2025, 0, 2, 3, 4, 5))).toBe("launcher-20250102-030405.log");
  });
});
