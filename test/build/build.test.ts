import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, type BuildOptions, type BuildResult } from "../../src/assemble/build.ts";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { buildManifest, walkTree } from "../../src/assemble/manifest.ts";
import { Cache } from "../../src/cache/index.ts";
import { collector } from "../../src/core/events.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeWorld, type World } from "./world.ts";

let world: World;
let tmp: string;
let cache: string;
let first: BuildResult;
let firstEvents: ReturnType<typeof collector>["events"];
const bundle = "world-1.0.0-linux-x64";

const build = (over: Partial<BuildOptions> & { outDir: string }) =>
  buildBundle({ recipe: world.recipe, cacheDir: cache, launcher: false, builderVersion: "test", ...over });
const git = (dir: string, ...args: string[]) => execa("git", ["--no-optional-locks", "-C", dir, ...args]).then((r) => r.stdout.trim());

beforeAll(async () => {
  tmp = await tempDir("gb-build-");
  world = await makeWorld(tmp);
  cache = join(tmp, "cache");
  const c = collector();
  firstEvents = c.events;
  first = await build({ outDir: join(tmp, "dist1"), emit: c.emit });
}, 300_000);
afterAll(async () => world?.close());

describe("bundle build into a folder", () => {
  it("renames the finished bundle to dist/<name>-<version>-<platform>/ and leaves no temporary folder", async () => {
    expect(first.bundleDir).toBe(join(tmp, "dist1", bundle));
    expect(await readdir(join(tmp, "dist1"))).toEqual([bundle]);
  });

  it("checks out the pinned commit (not the branch tip) with origin set and a clean status", async () => {
    const app = join(first.bundleDir, "app");
    expect(await git(app, "rev-parse", "HEAD")).toBe(world.commits.app);
    expect(world.commits.app).not.toBe(world.commits.appTip);
    expect(await git(app, "remote", "get-url", "origin")).toBe("https://example.invalid/org/app.git");
    expect(await git(app, "status", "--porcelain", "--untracked-files=all")).toBe("");
    const dotgit = await readdir(join(app, ".git"), { recursive: true });
    expect(dotgit.filter((f) => /^logs|FETCH_HEAD|ORIG_HEAD|^hooks/.test(f))).toEqual([]);
  });

  it("fetches a repository only the second mirror has and places it nested, as its own checkout", async () => {
    const helper = join(first.bundleDir, "app", "repositories", "helper");
    expect(await git(helper, "rev-parse", "HEAD")).toBe(world.commits.helper);
    expect(await git(helper, "rev-parse", "--show-toplevel")).toBe(helper);
    const c = first.bundleJson.components.find((x) => x.dest === "app/repositories/helper")!;
    expect(c.url).toBe(`${world.m2.url}/org/helper.git`);
  });

  it("places the extension under extensions.dir and reports what its requirements.txt and install.py need but the wheels lack", async () => {
    expect(await git(join(first.bundleDir, "app", "extensions", "ext-demo"), "rev-parse", "HEAD")).toBe(world.commits.ext);
    expect(first.unmet.map((u) => u.text).sort()).toEqual(["another-missing", "missing-pkg==2.0"]);
    expect(firstEvents.some((e) => e.type === "warning" && e.message.includes("extension ext-demo") && e.message.includes("missing-pkg"))).toBe(true);
  });

  it("asks a Hugging-Face-style URL for X-Linked-Size/X-Linked-Etag when the recipe gives no size", async () => {
    expect(world.files.stats.requests.some((r) => r.method === "HEAD" && r.path === "/hf/org/model/resolve/main/model.bin")).toBe(true);
  });

  it("hardlinks files from the cache without touching the blob, and writes text files", async () => {
    const placed = await stat(join(first.bundleDir, "app", "models", "model.bin"));
    const blob = await stat(new Cache(cache).blobPath(world.model.sha256));
    expect(first.linkStrategy).toBe("hardlink");
    expect(placed.ino).toBe(blob.ino);
    expect(blob.mode & 0o222).toBe(0);
    expect(await readFile(join(first.bundleDir, "hf", "refs", "main"), "utf8")).toBe("0123456789abcdef");
  });

  it("writes bundle.json with every component hashed and a manifest that matches the tree", async () => {
    const bj = JSON.parse(await readFile(join(first.bundleDir, "bundle.json"), "utf8")) as BundleJson;
    expect(bj).toMatchObject({ format: 1, name: "world", version: "1.0.0", platform: "linux-x64", builder: { name: "greenbundle", version: "test" } });
    // every component with its sha256 and size (repositories: of their checkout as placed)
    for (const c of bj.components) expect(Boolean(c.sha256 && c.size !== undefined), `${c.kind} ${c.name}`).toBe(true);
    const helper = bj.files.filter((f) => f.path.startsWith("app/repositories/helper/"));
    expect(bj.components.find((c) => c.dest === "app/repositories/helper")?.size).toBe(helper.reduce((n, f) => n + f.size, 0));
    expect(bj.components.find((c) => c.kind === "file" && c.dest === "app/models/model.bin")).toMatchObject({ sha256: world.model.sha256, size: world.model.size, url: `${world.files.url}/hf/org/model/resolve/main/model.bin` });
    expect(bj.components.find((c) => c.dest === "app")).toMatchObject({ kind: "repo", commit: world.commits.app, license: "MIT" });
    expect(bj.launcher).toMatchObject({ python: "python/bin/python3", git: null, cwd: "app", repos: ["app", "app/extensions/ext-demo", "app/repositories/helper"], pipIndexUrl: `${world.files.url}/simple` });
    expect(bj.verify?.allow_changes).toEqual(["app/outputs/**"]);
    const entries = await walkTree(first.bundleDir);
    const actual = await buildManifest(first.bundleDir, entries, { exec: true });
    expect(bj.files).toEqual(actual);
    expect(bj.files.find((f) => f.path === "app/run.sh")?.exec).toBe(true);
    expect(JSON.stringify(bj)).not.toContain(tmp);
  });

  it("assembles THIRD-PARTY-NOTICES from the runtime, the wheels and every repository, and a README that names the system git", async () => {
    const notices = await readFile(join(first.bundleDir, "THIRD-PARTY-NOTICES.txt"), "utf8");
    // the runtime's section, with the PSF licence from its stdlib folder when the host Python has one there
    expect(notices).toMatch(new RegExp(`\n={72}\nPython ${world.pythonVersion.replace(/\./g, "\\.")}\n`));
    expect(notices).toContain("repository app @");
    expect(notices).toContain("Permission is hereby granted");
    expect(notices).toContain("repository app/repositories/helper");
    expect(notices).toMatch(/helper[^\n]*— Apache-2\.0/);
    expect(notices).toContain("wheel demo-pkg 1.0 — MIT");
    const readme = await readFile(join(first.bundleDir, "README.txt"), "utf8");
    expect(readme).toContain("Loopback world 整合包");
    expect(readme).toContain("system's git");
  });

  it("installs the runtime and the wheels into python/", async () => {
    expect((await stat(join(first.bundleDir, "python", "bin", "python3"))).isFile()).toBe(true);
    const site = join(first.bundleDir, "python", "lib", `python${world.pythonVersion.split(".").slice(0, 2).join(".")}`, "site-packages");
    expect(await readdir(site)).toContain("demo_pkg");
  });
});

describe("rebuilding", () => {
  it("downloads nothing with a warm cache and produces the same bundle.json and file hashes in another folder", async () => {
    const before = world.downloads();
    const requestsBefore = world.files.stats.requests.length;
    const again = await build({ outDir: join(tmp, "dist2") });
    expect(world.downloads()).toBe(before);
    expect(world.files.stats.requests.length).toBe(requestsBefore);
    expect(again.downloaded).toBe(0);
    const a = await readFile(join(first.bundleDir, "bundle.json"), "utf8");
    const b = await readFile(join(again.bundleDir, "bundle.json"), "utf8");
    expect(b).toBe(a);
    expect(again.placed.hardlink).toBeGreaterThan(0);
  }, 300_000);

  it("produces the same bundle.json from a cold cache", async () => {
    const again = await build({ outDir: join(tmp, "dist3"), cacheDir: join(tmp, "cache-cold") });
    expect(again.downloaded).toBeGreaterThan(0);
    expect(await readFile(join(again.bundleDir, "bundle.json"), "utf8")).toBe(await readFile(join(first.bundleDir, "bundle.json"), "utf8"));
  }, 300_000);
});

describe("packing", () => {
  it("writes the archive and SHA256SUMS, byte-identical from two builds into different folders", async () => {
    const a = await build({ outDir: join(tmp, "zip-a"), format: "zip" });
    const b = await build({ outDir: join(tmp, "zip-b"), format: "zip" });
    expect(a.archives).toHaveLength(1);
    const file = a.archives[0]!.files[0]!;
    expect(file.path).toBe(join(tmp, "zip-a", `${bundle}.zip`));
    expect(b.archives[0]!.files[0]!.sha256).toBe(file.sha256);
    expect(await readFile(join(tmp, "zip-a", "SHA256SUMS"), "utf8")).toContain(`${file.sha256}  ${bundle}.zip`);
    expect((await readdir(join(tmp, "zip-a"))).sort()).toEqual(["SHA256SUMS", bundle, `${bundle}.zip`]);
    const listing = await execa("unzip", ["-l", file.path]);
    expect(listing.stdout).toContain(`${bundle}/app/models/model.bin`); // under one top folder
  }, 300_000);
});
