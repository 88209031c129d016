// greenbundle as a user gets it: `npm pack`, then the tarball installed into an empty folder with
// a fresh npm cache (dependencies come from the npm registry, as for a user), and globally with
// `npm i -g --prefix`. The installed commands run the compiled code: --version, plan on the demo
// recipe copied out of the package, and the whole demo (lock, build, verify). The install is
// made once and shared by every check, including the Windows smoke test under wine.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPlatform } from "../../src/core/platform.ts";
import { startFileServer, type FileServer } from "../../src/demo/http-server.ts";
import { makeWheel } from "../../src/demo/wheels.ts";
import { launcherScript } from "../../src/launcher/script.ts";
import { tempDir } from "../helpers/tmp.ts";
import { nodeExecutable, testCacheDir, WINE_NODE_VERSION } from "../launcher/node-dist.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const linux = hostPlatform() === "linux-x64";
const VERSION = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
/** The sources the launcher program is bundled from (its runtime and what the runtime imports): the only TypeScript the package ships. */
const LAUNCHER_SOURCES = ["src/launcher/runtime/", "src/contract/", "src/core/platform.ts"];

/** The environment of a fresh shell: nothing npm passes to the scripts it runs (npm test) leaks into the installs. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "INIT_CWD"));
  return { ...env, NO_COLOR: "1", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...extra };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(file: string, args: string[], cwd: string, env = cleanEnv()): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("error", (e) => resolve({ code: -1, stdout, stderr: stderr + String(e) }));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Installed {
  tmp: string;
  /** The empty folder it was installed into. */
  app: string;
  /** node_modules/greenbundle in that folder. */
  pkg: string;
  bin: (name: "bundle" | "greenbundle") => string;
  packed: string[];
}

let once: Promise<Installed> | undefined;

/** Packs the checkout and installs the tarball into an empty folder with a fresh npm cache (once per test file). */
function installed(): Promise<Installed> {
  once ??= (async () => {
    const tmp = await tempDir("gb-installed-");
    // prepack builds lib/ first, as it would for a publish.
    const packed = await run("npm", ["pack", "--pack-destination", tmp, "--json"], { cwd: ROOT, env: cleanEnv(), maxBuffer: 1 << 26 });
    const info = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
    const app = join(tmp, "app");
    await mkdir(app);
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "installed-check", private: true, type: "module" }));
    await run("npm", ["install", "--cache", join(tmp, "npm-cache"), join(tmp, info.filename)], { cwd: app, env: cleanEnv(), maxBuffer: 1 << 26 });
    const pkg = join(app, "node_modules", "greenbundle");
    return { tmp, app, pkg, bin: (name) => join(app, "node_modules", ".bin", name), packed: info.files.map((f) => f.path) };
  })();
  return once;
}

describe.skipIf(!linux)("the npm package, installed from its tarball into an empty folder", () => {
  let i: Installed;
  beforeAll(async () => {
    i = await installed();
  }, 300_000);

  it("ships the compiled code, the launcher runtime's sources, templates, recipes, schema, README and LICENSE, and no tests, benches or CI files", () => {
    for (const f of ["bin/bundle.js", "lib/cli/main.js", "lib/index.js", "lib/index.d.ts", "lib/verify/driver-main.js", "lib/demo/app/repo/app.py", "src/launcher/runtime/main.ts", "src/contract/bundle-json.ts", "src/core/platform.ts", "templates/README.txt", "templates/THIRD-PARTY-NOTICES.txt", "recipes/demo.yml", "recipes/sd-webui-a1111.yml", "schema/recipe.schema.json", "README.md", "LICENSE", "package.json"]) {
      expect(i.packed, f).toContain(f);
    }
    const stray = i.packed.filter((f) => /^(test|bench|scripts|\.ci|node_modules|cache|dist)\//.test(f) || (f.startsWith("src/") && !LAUNCHER_SOURCES.some((s) => f.startsWith(s))) || /^tsconfig|^vitest|\.test\.ts$/.test(f));
    expect(stray).toEqual([]);
  });

  it("runs `bundle --version` and `greenbundle --version` from the compiled code", async () => {
    for (const name of ["bundle", "greenbundle"] as const) {
      const r = await runBin(i.bin(name), ["--version"], i.app);
      expect(r, name).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    }
  });

  it("plans recipes/demo.yml copied out of the package", async () => {
    const dir = join(i.tmp, "plan");
    await mkdir(dir);
    for (const f of ["demo.yml", "demo.requirements.txt"]) await copyFile(join(i.pkg, "recipes", f), join(dir, f));
    const r = await runBin(i.bin("greenbundle"), ["plan", "demo.yml", "--json"], dir);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { bundle: string; artifacts: { id: string }[] };
    expect(plan.bundle).toBe("greenbundle-demo-1.0.0-linux-x64");
    expect(plan.artifacts.map((a) => a.id)).toEqual(expect.arrayContaining(["python", "node", "repo:app", "wheel:gb-demo-palette"]));
  });

  it("offers the library API as ES module exports with declarations a TypeScript consumer compiles against", async () => {
    await writeFile(
      join(i.app, "use.ts"),
      [
        'import { loadRecipe, makePlan, planRequests, lockRecipe, fetchAll, buildBundle, verifyBundle, BundleError, type BundleEvent, type Emit, type BuildResult } from "greenbundle";',
        'const emit: Emit = (e: BundleEvent) => { if (e.type === "warning") console.error(e.message); };',
        "const loaded = await loadRecipe(process.argv[2]!);",
        'const plan = await makePlan({ loaded, platform: "linux-x64" });',
        "const { requests } = planRequests(plan);",
        "const unused: unknown[] = [lockRecipe, fetchAll, buildBundle, verifyBundle, emit];",
        "const later: BuildResult | undefined = undefined;",
        'try { await loadRecipe("absent.yml"); } catch (e) { if (e instanceof BundleError) console.log(e.code, e.exitCode); }',
        "console.log(plan.bundleName, requests.length, unused.length, later);",
      ].join("\n") + "\n",
    );
    const tsconfig = { compilerOptions: { target: "es2024", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: false, types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")] }, files: ["use.ts"] };
    await writeFile(join(i.app, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const typed = await run(process.execPath, [tsc, "-p", i.app]).then(() => "", (e: { stdout: string }) => e.stdout);
    expect(typed).toBe("");
    const r = await runBin(process.execPath, ["use.ts", join(i.pkg, "recipes", "demo.yml")], i.app);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^USAGE 2\ngreenbundle-demo-1\.0\.0-linux-x64 \d+ 5 undefined\n$/);
  });

  it("bundles the same launcher program as the checkout (the runtime ships as the same TypeScript)", async () => {
    const script = join(i.app, "script.mjs");
    // Deep imports are closed by the exports map: the installed module is loaded by its path.
    await writeFile(script, `const { launcherScript } = await import(${JSON.stringify(join(i.pkg, "lib", "launcher", "script.js"))});\nprocess.stdout.write(await launcherScript(24));\n`);
    const r = await runBin(process.execPath, [script], i.app);
    expect(r.code, r.stderr).toBe(0);
    const sha = (s: string) => createHash("sha256").update(s).digest("hex");
    expect(sha(r.stdout)).toBe(sha(await launcherScript(24)));
  });

  it("runs `bundle demo`: the local world, lock, build and an offline verify, all from the installed package", async () => {
    const dir = join(i.tmp, "demo");
    await mkdir(dir);
    const r = await runBin(i.bin("bundle"), ["demo", "--out", "out", "--cache", "cache"], dir);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/demo bundle: out\/greenbundle-demo-1\.0\.0-linux-x64\.zip \(\d/);
    expect(r.stdout).not.toMatch(/^FAIL /m);
  }, 600_000);
});

describe.skipIf(!linux)("the npm package, installed with npm i -g --prefix", () => {
  let prefix: string;
  let tmp: string;
  beforeAll(async () => {
    const i = await installed();
    tmp = i.tmp;
    prefix = join(tmp, "global");
    const tarball = join(tmp, `greenbundle-${VERSION}.tgz`);
    await run("npm", ["install", "--global", "--prefix", prefix, "--cache", join(tmp, "npm-cache"), tarball], { cwd: tmp, env: cleanEnv(), maxBuffer: 1 << 26 });
  }, 300_000);

  it("puts bundle and greenbundle on <prefix>/bin, and both run: --version, plan, demo", async () => {
    const bin = (n: string) => join(prefix, "bin", n);
    for (const name of ["bundle", "greenbundle"]) expect(await runBin(bin(name), ["--version"], tmp), name).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const dir = join(tmp, "global-demo");
    await mkdir(dir);
    for (const f of ["demo.yml", "demo.requirements.txt"]) await copyFile(join(prefix, "lib", "node_modules", "greenbundle", "recipes", f), join(dir, f));
    const plan = await runBin(bin("greenbundle"), ["plan", "demo.yml"], dir);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^greenbundle demo 整合包 .* — greenbundle-demo-1\.0\.0-linux-x64 \(\d+ artifacts\)/);
    const demo = await runBin(bin("bundle"), ["demo", "--out", "out", "--cache", "cache"], dir);
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    expect(demo.stdout).toMatch(/demo bundle: out\/greenbundle-demo-1\.0\.0-linux-x64\.zip/);
  }, 600_000);
});

// Windows hosts, from the same install: Node 22 for win-x64 (the newest that Debian's wine 8
// starts) runs the installed bundle.js on Windows paths — a drive letter, backslashes, a folder
// with a space and CJK characters, a cache path far beyond 260 characters given with the \\?\
// prefix, the recipe named in other letter case — and plans and fetches files and wheels (no git)
// from a loopback mirror, locking on the way. Linux then reads the same cache: nothing to fetch.
const hasWine = linux && (await run("wine", ["--version"]).then(() => true, () => false));
if (linux && !hasWine) console.warn("SKIP the Windows smoke test: wine is not installed (.ci/run installs it)");

const KEEPALIVE_SHIM = fileURLToPath(new URL("./wine-keepalive.cjs", import.meta.url));

/** Z:\… for a path of this machine (wine maps Z: to /). */
const winPath = (p: string) => `Z:${p.replace(/\//g, "\\")}`;

describe.skipIf(!hasWine)("the installed package on a Windows host (wine, Node 22 win-x64)", () => {
  let i: Installed;
  let nodeExe: string;
  let files: FileServer;
  let dir: string;
  let recipe: string;
  let cache: string;

  beforeAll(async () => {
    i = await installed();
    nodeExe = await nodeExecutable("win", WINE_NODE_VERSION);
    const wheel = await makeWheel({ name: "win-pkg", version: "2.0", files: { "win_pkg/__init__.py": "X = 1\n" } });
    const bytes = (tag: string, n: number) => Buffer.alloc(n, tag);
    const served: Record<string, Buffer> = {
      "/python/python-3.10.6-embed-amd64.zip": bytes("p", 50_000),
      "/node/v22.23.3/node-v22.23.3-win-x64.zip": bytes("n", 70_000),
      "/hf/org/model/resolve/main/model.bin": bytes("m", 300_000),
      [`/simple/win-pkg/${wheel.filename}`]: wheel.data,
      "/simple/win-pkg/": Buffer.from(`<a href="${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a>\n`),
    };
    files = await startFileServer({ files: served });
    dir = join(i.tmp, "整合包 windows");
    await mkdir(dir);
    const sha = (p: string) => createHash("sha256").update(served[p]!).digest("hex");
    await writeFile(join(dir, "win.requirements.txt"), "win-pkg==2.0\n");
    recipe = join(dir, "win.yml");
    await writeFile(
      recipe,
      [
        "recipe: 1",
        "name: win-smoke",
        "version: 1.0.0",
        "platforms: [win-x64]",
        "mirrors:",
        `  files: [${files.url}]`,
        `  pypi: [${files.url}/simple]`,
        "python:",
        "  version: 3.10.6",
        `  win-x64: { url: mirror://files/python/python-3.10.6-embed-amd64.zip, sha256: ${sha("/python/python-3.10.6-embed-amd64.zip")} }`,
        "wheels:",
        "  indexes: [pypi]",
        "  requirements: win.requirements.txt",
        "  lock: win.lock.json",
        "files:",
        "  - path: app/models/model.bin",
        "    url: mirror://files/hf/org/model/resolve/main/model.bin",
        `    sha256: ${sha("/hf/org/model/resolve/main/model.bin")}`,
        "launcher:",
        "  node:",
        "    win-x64: { url: mirror://files/node/v22.23.3/node-v22.23.3-win-x64.zip, sha256: lock }",
        '  command: ["{python}", "app.py"]',
        "  ready: /",
      ].join("\n") + "\n",
    );
    cache = join(i.tmp, "cache", ...Array(8).fill("a-rather-long-folder-name-for-the-cache"));
    expect(winPath(cache).length).toBeGreaterThan(300);
  }, 600_000);
  afterAll(async () => files?.close());

  /** Runs the installed bundle.js under wine; output through files (wine's pipes make Node's stdio fail), one retry when wine itself did not start. */
  async function wine(args: string[]): Promise<Ran> {
    const once = async (): Promise<Ran> => {
      const out = join(i.tmp, "wine.out");
      const err = join(i.tmp, "wine.err");
      const env = cleanEnv({ WINEDEBUG: "-all", WINEPREFIX: join(testCacheDir(), "wineprefix"), NODE_SKIP_PLATFORM_CHECK: "1", LANG: "C.UTF-8", LC_ALL: "" });
      const cmd = `exec wine "$0" "$@" >${JSON.stringify(out)} 2>${JSON.stringify(err)}`;
      const r = await runBin("sh", ["-c", cmd, nodeExe, "--require", winPath(KEEPALIVE_SHIM), winPath(join(i.pkg, "bin", "bundle.js")), ...args], dir, env);
      return { code: r.code, stdout: await readFile(out, "utf8"), stderr: await readFile(err, "utf8") };
    };
    const first = await once();
    return first.code !== 0 && first.stdout === "" && first.stderr.trim() === "" ? once() : first;
  }

  it("plans the recipe given by a Windows path", async () => {
    const r = await wine(["plan", winPath(recipe), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { bundle: string; platform: string; artifacts: { id: string; dest: string }[] };
    expect(plan).toMatchObject({ bundle: "win-smoke-1.0.0-win-x64", platform: "win-x64" });
    expect(plan.artifacts.map((a) => `${a.id} → ${a.dest}`)).toEqual(["python → python", "wheel:win-pkg → python/Lib/site-packages", "file:app/models/model.bin → app/models/model.bin", "node → launcher.exe"]);
  });

  it("fetches files and wheels into a long \\\\?\\ cache path, writing the lock on the way, and Linux finds all of it in that cache", async () => {
    const shownRecipe = winPath(join(dir, "WIN.YML")); // NTFS semantics: the same file in other letter case
    const r = await wine(["fetch", shownRecipe, "--cache", `\\\\?\\${winPath(cache)}`]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // The path as typed, without \\?\; Node on Windows adds that prefix to its file-system calls itself.
    // Node's archive was already downloaded once, to pin its hash into the lock.
    expect(r.stdout).toMatch(/^fetched 4 artifact\(s\) of win-smoke-1\.0\.0-win-x64 into Z:\\tmp\\[^\n]*\\a-rather-long-folder-name-for-the-cache: 3 downloaded \([\d.]+ KiB\), 1 already cached$/m);
    expect(r.stdout).toContain("wrote the lock file");
    const lock = JSON.parse(await readFile(join(dir, "win.lock.json"), "utf8")) as { platforms: Record<string, { wheels: { filename: string }[]; artifacts: Record<string, { url: string }> }> };
    expect(lock.platforms["win-x64"]?.wheels.map((w) => w.filename)).toEqual(["win_pkg-2.0-py3-none-any.whl"]);
    expect(lock.platforms["win-x64"]?.artifacts.node?.url).toBe(`${files.url}/node/v22.23.3/node-v22.23.3-win-x64.zip`);
    const again = await runBin(i.bin("bundle"), ["fetch", recipe, "--cache", cache, "--json"], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ downloaded: 0, lock: { action: "fresh" } });
  });

  it("sees the file system as Windows does: names that differ only in case are one file", async () => {
    const probe = join(i.tmp, "case.mjs");
    await writeFile(probe, `const { ignoresCase } = await import(${JSON.stringify(`file:///${winPath(join(i.pkg, "lib", "core", "fs.js")).replace(/\\/g, "/")}`)});\nconsole.log(await ignoresCase(process.cwd()));\n`);
    const out = join(i.tmp, "case.out");
    const env = cleanEnv({ WINEDEBUG: "-all", WINEPREFIX: join(testCacheDir(), "wineprefix"), NODE_SKIP_PLATFORM_CHECK: "1" });
    const r = await runBin("sh", ["-c", `exec wine "$0" "$@" >${JSON.stringify(out)} 2>&1`, nodeExe, winPath(probe)], dir, env);
    expect(`${r.code} ${await readFile(out, "utf8")}`.trim()).toBe("0 true");
  });
});
