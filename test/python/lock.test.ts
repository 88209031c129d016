// bundle lock against a loopback simple index: tag priority per platform, hashes and paths, stable
// output, PEP 658 / ranged / full-download metadata, closure failures with chains, "no wheel fits"
// reasons, flat find-links pages whose hashes come from the index, recipe hashes written "lock".
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { WheelSpec } from "../../src/demo/wheels.ts";
import { makePlan } from "../../src/plan/plan.ts";
import { lockRecipe } from "../../src/lock/lock.ts";
import type { LockFile } from "../../src/python/lockfile.ts";
import { loadRecipe } from "../../src/recipe/load.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { fileServer, indexOf, MINGIT, NODE_LINUX, NODE_WIN, writeRecipe } from "./world.ts";

const native = (tag: string): WheelSpec => ({ name: "native", version: "1.0", tag, files: { "native/__init__.py": `TAG = "${tag}"\n` } });

export const CATALOG: WheelSpec[] = [
  { name: "app", version: "1.0", requires: ["alpha[speed]>=1.0", "native==1.0"] },
  { name: "alpha", version: "1.0", extras: ["speed"], requires: ["beta>=1.0", 'gamma==2.0; sys_platform == "win32"', 'delta[fast]; extra == "speed"'] },
  { name: "beta", version: "0.9" },
  { name: "beta", version: "1.2" },
  { name: "gamma", version: "2.0" },
  { name: "delta", version: "1.0", extras: ["fast"], requires: ['epsilon; extra == "fast"', 'never-installed; python_version < "3"'] },
  { name: "epsilon", version: "3.1" },
  native("cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64"),
  native("cp310-cp310-manylinux_2_34_x86_64"),
  native("cp310-cp310-win_amd64"),
  native("cp311-cp311-win_amd64"),
  native("py3-none-any"),
  { name: "torchish", version: "2.1.2+cu121", tag: "cp310-cp310-linux_x86_64" },
  { name: "torchish", version: "2.1.2+cu121", tag: "cp311-cp311-win_amd64" },
  { name: "torchish", version: "2.1.2+cu121", tag: "cp312-cp312-win_amd64" },
  { name: "newglibc", version: "1.0", tag: "cp310-cp310-manylinux_2_34_x86_64" },
];
const GOOD = ["app==1.0", "alpha==1.0", "beta==1.2", 'gamma==2.0; sys_platform == "win32"', "delta==1.0", "epsilon==3.1", "native==1.0"];

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let files: Awaited<ReturnType<typeof fileServer>>;

beforeAll(async () => {
  files = await fileServer({ "python-embed.zip": Buffer.from("embed"), "python-linux.tar.gz": Buffer.from("pbs"), "node-win.zip": NODE_WIN, "node-linux.tar.gz": NODE_LINUX, "mingit.zip": MINGIT });
});

async function lockWith(requirements: string[], opts: { index?: Parameters<typeof indexOf>[1]; packages?: Record<string, unknown>; mirrors?: Record<string, string[]>; extensionRequirements?: string[] } = {}) {
  const index = await indexOf(CATALOG, opts.index);
  const recipe = await writeRecipe({ mirrors: { pypi: [index.simple], ...opts.mirrors }, requirements, files, ...(opts.packages ? { packages: opts.packages } : {}), ...(opts.extensionRequirements ? { extensionRequirements: opts.extensionRequirements } : {}) });
  const cacheDir = await tempDir("gb-lock-cache-");
  const loaded = await loadRecipe(recipe);
  return { index, recipe, cacheDir, loaded, lock: () => lockRecipe({ loaded, cacheDir }) };
}

const wheelOf = (lock: LockFile, platform: "win-x64" | "linux-x64", name: string) => lock.platforms[platform]!.wheels.find((w) => w.name === name);

describe("bundle lock", () => {
  it("chooses the best wheel per platform by tag priority and pins hashes, sizes and paths relative to the project page", async () => {
    const w = await lockWith(GOOD);
    const { lock } = await w.lock();
    expect(wheelOf(lock, "win-x64", "native")!.filename).toBe("native-1.0-cp310-cp310-win_amd64.whl");
    expect(wheelOf(lock, "linux-x64", "native")!.filename).toBe("native-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    expect(wheelOf(lock, "linux-x64", "gamma")).toBeUndefined();
    const beta = wheelOf(lock, "win-x64", "beta")!;
    expect(beta).toMatchObject({ version: "1.2", index: "pypi", filename: "beta-1.2-py3-none-any.whl" });
    expect(beta.path).toMatch(/^\.\.\/\.\.\/packages\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{60}\/beta-1\.2-py3-none-any\.whl$/);
    const bytes = Buffer.from(await (await fetch(new URL(beta.path, `${w.index.simple}/beta/`))).arrayBuffer());
    expect(beta.sha256).toBe(sha(bytes));
    expect(beta.size).toBe(bytes.length);
    // the Requires-Dist lines that apply on the platform are kept for review
    expect(wheelOf(lock, "win-x64", "alpha")!.requires).toEqual(["beta>=1.0", 'gamma==2.0; sys_platform == "win32"', 'delta[fast]; extra == "speed"']);
    expect(wheelOf(lock, "linux-x64", "alpha")!.requires).toEqual(["beta>=1.0", 'delta[fast]; extra == "speed"']);
    // recipe hashes written "lock" are pinned on first download
    expect(lock.platforms["win-x64"]!.artifacts.node).toEqual({ sha256: sha(NODE_WIN), size: NODE_WIN.length, url: `${files.url}/node-win.zip` });
    expect(lock.platforms["linux-x64"]!.artifacts.python!.sha256).toBe(sha(Buffer.from("pbs")));
    // and the plan is now fully locked
    const plan = await makePlan({ loaded: w.loaded, platform: "win-x64" });
    expect(plan.lock.state).toBe("fresh");
    expect(plan.artifacts.filter((a) => !a.locked && (a.kind as string) !== "repo" && (a.kind as string) !== "extension")).toEqual([]);
  });

  it("writes a stable, diff-friendly lock: locking again changes nothing", async () => {
    const w = await lockWith(GOOD);
    const first = await w.lock();
    const text = await readFile(join(w.recipe, "..", "recipe.lock.json"), "utf8");
    const again = await w.lock();
    expect(first.changed).toBe(true);
    expect(again.changed).toBe(false);
    expect(await readFile(join(w.recipe, "..", "recipe.lock.json"), "utf8")).toBe(text);
    expect(Object.keys(JSON.parse(text))).toEqual(["lock", "platforms", "python", "recipe"]);
  });

  it.each([
    ["a PEP 658 metadata file when the index offers one", { metadata: true }, "pep658"],
    ["ranged reads of the wheel's central directory otherwise", {}, "range"],
    ["a full download into the cache when the server ignores Range", { ignoreRange: true }, "download"],
  ] as const)("reads METADATA through %s", async (_what, index, via) => {
    const w = await lockWith(GOOD, { index });
    const r = await w.lock();
    expect(r.stats.map((s) => s.metadata)).toEqual([{ [via]: 7 }, { [via]: 6 }]);
    if (via !== "download") expect(w.index.requests.filter((q) => q.path.endsWith(".whl") && !q.range)).toEqual([]);
  });

  it("gives the same lock from PEP 691 JSON and PEP 503 HTML pages", async () => {
    const html = await lockWith(GOOD, { index: { formats: ["html"] } });
    const json = await lockWith(GOOD, { index: { formats: ["json"] } });
    const a = (await html.lock()).lock;
    const b = (await json.lock()).lock;
    const strip = (l: LockFile) => JSON.stringify(l.platforms["win-x64"]!.wheels.map(({ path: _p, ...x }) => x));
    expect(strip(a)).toBe(strip(b));
    expect(json.index.requests.some((q) => q.accept?.includes("application/vnd.pypi.simple.v1+json"))).toBe(true);
  });

  it("explains every requirement no wheel fits, per platform, and writes nothing", async () => {
    const w = await lockWith([...GOOD.filter((l) => !l.startsWith("beta")), "beta==7.0", "torchish==2.1.2+cu121", "newglibc==1.0", "nothere==1.0"]);
    const err = await w.lock().then(() => undefined, (e: Error) => e);
    expect(err).toMatchObject({ code: "RESOLVE" });
    const msg = (err as Error).message;
    expect(msg).toContain("torchish==2.1.2+cu121 on win-x64: pypi offers cp311/cp312 only; cp310 needed");
    expect(msg).not.toContain("torchish==2.1.2+cu121 on linux-x64");
    expect(msg).toContain("newglibc==1.0 on linux-x64: pypi: needs glibc 2.34, newer than the floor 2.28 (python.glibc)");
    expect(msg).toContain("newglibc==1.0 on win-x64: pypi: built for manylinux_2_34_x86_64; win-x64 needs win_amd64");
    expect(msg).toContain("beta==7.0 on win-x64: pypi offers 1.2, 0.9 (no 7.0)");
    expect(msg).toContain('nothere==1.0 on linux-x64: no mirror of pypi has a project "nothere"');
    await expect(readFile(join(w.recipe, "..", "recipe.lock.json"))).rejects.toThrow();
  });

  it("fails the closure check listing each missing or conflicting requirement with the chain that needs it", async () => {
    const w = await lockWith(["app==1.0", "alpha==1.0", "beta==0.9", "delta==1.0", "native==1.0"]);
    const msg = await w.lock().then(() => "", (e: Error) => e.message);
    expect(msg).toContain('win-x64: app==1.0 → alpha==1.0 → delta==1.0 needs epsilon; extra == "fast", which the requirements do not pin');
    expect(msg).toContain('win-x64: app==1.0 → alpha==1.0 needs gamma==2.0; sys_platform == "win32", which the requirements do not pin');
    expect(msg).toContain("linux-x64: app==1.0 → alpha==1.0 needs beta>=1.0, but beta==0.9 is pinned");
    expect(msg).not.toContain("linux-x64: app==1.0 → alpha==1.0 needs gamma");
    expect(msg).not.toContain("never-installed");
  });

  it("counts the extensions' requirements in the wheel set", async () => {
    const w = await lockWith(GOOD.filter((l) => !l.startsWith("gamma")), { extensionRequirements: ["gamma==2.0"] });
    const { lock } = await w.lock();
    expect(wheelOf(lock, "linux-x64", "gamma")!.version).toBe("2.0");
    expect(lock.platforms["win-x64"]!.artifacts.git!.sha256).toBe(sha(MINGIT));
  });

  it("takes bytes from a flat find-links page and the hash from the package's index", async () => {
    const flat = await indexOf([{ name: "torchish", version: "2.1.2+cu121", tag: "cp310-cp310-linux_x86_64" }, { name: "torchish", version: "2.1.2+cu121", tag: "cp310-cp310-win_amd64" }]);
    const official = await indexOf([{ name: "torchish", version: "2.1.2+cu121", tag: "cp310-cp310-linux_x86_64" }]);
    const packages = { torchish: { indexes: ["pytorch"], find_links: ["pytorch-cn"] } };
    const w = await lockWith([...GOOD, "torchish==2.1.2+cu121"], { packages, mirrors: { pytorch: [official.simple], "pytorch-cn": [flat.flat] }, index: {} });
    const err = await w.lock().then(() => undefined, (e: Error) => e);
    // win: only the flat page has a cp310 wheel, and it publishes no hash
    expect(err?.message).toContain("torchish==2.1.2+cu121 on win-x64: pytorch-cn lists torchish-2.1.2+cu121-cp310-cp310-win_amd64.whl without a sha256");
    const linux = await lockRecipe({ loaded: w.loaded, cacheDir: w.cacheDir, platforms: ["linux-x64"] });
    const t = wheelOf(linux.lock, "linux-x64", "torchish")!;
    expect(t).toMatchObject({ index: "pytorch", filename: "torchish-2.1.2+cu121-cp310-cp310-linux_x86_64.whl" });
    const plan = await makePlan({ loaded: w.loaded, platform: "linux-x64" });
    const urls = plan.artifacts.find((a) => a.id === "wheel:torchish")!.urls;
    expect(urls[0]).toBe(`${flat.flat}/torchish-2.1.2%2Bcu121-cp310-cp310-linux_x86_64.whl`);
    expect(urls[1]).toMatch(new RegExp(`^${official.url}/packages/`));
  });

  it("reads a find-links page file that links into a subfolder (download.pytorch.org's torch_stable.html)", async () => {
    const flat = await indexOf([{ name: "torchish", version: "2.1.2+cu121", tag: "cp310-cp310-linux_x86_64" }]);
    const official = await indexOf([{ name: "torchish", version: "2.1.2+cu121", tag: "cp310-cp310-linux_x86_64" }]);
    const packages = { torchish: { indexes: ["pytorch"], find_links: ["pytorch-cn"] } };
    const w = await lockWith([...GOOD, "torchish==2.1.2+cu121"], { packages, mirrors: { pytorch: [official.simple], "pytorch-cn": [flat.flatPage] }, index: {} });
    const linux = await lockRecipe({ loaded: w.loaded, cacheDir: w.cacheDir, platforms: ["linux-x64"] });
    // the hash comes from the index; where the page links the file is kept for the bytes
    expect(wheelOf(linux.lock, "linux-x64", "torchish")).toMatchObject({ index: "pytorch", find_links: "pytorch-cn", find_links_path: "../cu121/torchish-2.1.2%2Bcu121-cp310-cp310-linux_x86_64.whl" });
    expect(flat.requests.some((r) => r.path === "/whl/torch_stable.html" && r.status === 200)).toBe(true);
    const plan = await makePlan({ loaded: w.loaded, platform: "linux-x64" });
    const urls = plan.artifacts.find((a) => a.id === "wheel:torchish")!.urls;
    expect(urls[0]).toBe(`${flat.url}/whl/cu121/torchish-2.1.2%2Bcu121-cp310-cp310-linux_x86_64.whl`);
    expect(urls[1]).toBe(`${flat.url}/whl/torchish-2.1.2%2Bcu121-cp310-cp310-linux_x86_64.whl`);
    expect(urls[2]).toMatch(new RegExp(`^${official.url}/packages/`));
    const res = await fetch(urls[0]!);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(sha(bytes)).toBe(wheelOf(linux.lock, "linux-x64", "torchish")!.sha256);
  });

  it("marks the lock stale when the recipe's Python version changes", async () => {
    const w = await lockWith(GOOD);
    await w.lock();
    const text = await readFile(w.recipe, "utf8");
    await writeFile(w.recipe, text.replace('"version": "3.10.6"', '"version": "3.10.11"'));
    const plan = await makePlan({ loaded: await loadRecipe(w.recipe), platform: "linux-x64" });
    expect(plan.lock.state).toBe("stale");
    expect(plan.lock.problems).toContain("the lock was made for Python 3.10.6; the recipe now says 3.10.11");
  });

  it("runs as `bundle lock <recipe> --platform P` and prints what it wrote", async () => {
    const w = await lockWith(GOOD);
    const r = await runCli(["lock", w.recipe, "--platform", "linux-x64", "--cache", w.cacheDir]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toMatch(/^wrote .*recipe\.lock\.json\n  linux-x64: 6 wheels, 2 pinned artifact\(s\); metadata read via 6 range$/);
    const lock = JSON.parse(await readFile(join(w.recipe, "..", "recipe.lock.json"), "utf8")) as LockFile;
    expect(Object.keys(lock.platforms)).toEqual(["linux-x64"]);
  });
});
