// bundle fetch: what it fetches, what it reports, and what it leaves to `bundle lock`.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFixtureRepo, startGitServer } from "../../src/demo/git-server.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { file, server, writeRecipe } from "./helpers.ts";

const PY = file(20_000, 91);
const NODE = file(30_000, 92);
const M = file(40_000, 93);

async function world(extra: { files?: Parameters<typeof writeRecipe>[2]["files"]; extra?: string[] } = {}, serve: Record<string, typeof PY> = {}) {
  const dir = await tempDir();
  const s = await server({ files: { "/m/python.tar.gz": PY, "/m/node.tar.gz": NODE, "/m/m.bin": M, ...serve } });
  const recipe = await writeRecipe(dir, [`${s.url}/m`], {
    python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: PY.sha256 },
    node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: NODE.sha256 },
    ...extra,
  });
  return { dir, s, recipe, cacheDir: join(dir, "cache") };
}

describe("bundle fetch", () => {
  it("fetches every pinned artifact, skips inline files, and reports where each came from as JSON", async () => {
    const w = await world({
      files: [
        { path: "app/m.bin", urls: ["mirror://m/m.bin"], sha256: M.sha256, size: M.size },
        { path: "app/config.json", urls: [], sha256: "", text: "{}\n" },
      ],
    });
    const r = await runCli(["fetch", w.recipe, "--json"], { env: { BUNDLE_CACHE_DIR: w.cacheDir } });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { cache: string; downloaded: number; artifacts: { id: string; url: string; cached: boolean }[] };
    expect(out.cache).toBe(w.cacheDir);
    expect(out.downloaded).toBe(3);
    expect(out.artifacts.map((a) => a.id).sort()).toEqual(["file:app/m.bin", "node", "python"]);
    expect(out.artifacts.find((a) => a.id === "python")?.url).toBe(`${w.s.url}/m/python.tar.gz`);
    const events = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type)).toContain("download:done");
    const again = await runCli(["fetch", w.recipe, "--cache", w.cacheDir], { env: {} });
    expect(again.stdout).toMatch(/0 downloaded \(0 B\), 3 already cached/);
  });

  it("downloads files above --segment-above in --segments ranged connections, and refuses a bad value with exit 2", async () => {
    const big = file(3 << 20, 94);
    const w = await world({ files: [{ path: "app/big.bin", urls: ["mirror://m/big.bin"], sha256: big.sha256, size: big.size }] }, { "/m/big.bin": big });
    const bad = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, "--segment-above", "lots"], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--segment-above must be a size such as 64MiB or 500MB (got "lots")');
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, "--segment-above", "1MiB", "--segments", "3"], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    const ranges = w.s.stats.requests.filter((q) => q.path === "/m/big.bin" && q.range).map((q) => q.range);
    expect(ranges.length).toBe(3);
    expect(w.s.stats.requests.filter((q) => q.path === "/m/python.tar.gz" && q.range)).toEqual([]);
  });

  it("fetches everything pinned first, then lists what needs `bundle lock` and exits 1", async () => {
    const w = await world({
      files: [
        { path: "app/m.bin", urls: ["mirror://m/m.bin"], sha256: M.sha256 },
        { path: "app/later.bin", urls: ["mirror://m/later.bin"], sha256: "lock" },
      ],
    });
    const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fetched 3 artifact\(s\).*3 downloaded/);
    expect(r.stderr).toMatch(/error: 1 artifact\(s\) of .*recipe\.yml have no pinned sha256 yet, so they were not fetched:\n {2}file:app\/later\.bin \(.*recipe\.yml:\d+:\d+\)/);
    expect(r.stderr).toMatch(/hint: run `bundle lock .*recipe\.yml`/);
    expect(w.s.stats.requests.some((q) => q.path === "/m/later.bin")).toBe(false);
  });

  it("brings repository and extension commits into the git cache too, so that build --offline finds everything", async () => {
    const w0 = await tempDir("gb-fetch-git-");
    const [app] = await createFixtureRepo(join(w0, "git"), "o/app.git", [{ message: "a", files: { "app.py": "print(1)\n" } }]);
    const [ext] = await createFixtureRepo(join(w0, "git"), "o/ext.git", [{ message: "e", files: { "e.py": "E = 1\n" } }]);
    const git = await startGitServer({ root: join(w0, "git") });
    try {
      const w = await world({ extra: [`repos: [{ path: app, url: "${git.url}/o/app.git", commit: ${app} }]`, `extensions: { dir: app/ext, items: [{ url: "${git.url}/o/ext.git", commit: ${ext} }] }`] });
      const r = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, "--json"], { env: {} });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { repos: { id: string; commit: string; url: string; cached: boolean }[] };
      expect(out.repos.map((x) => [x.id, x.commit, x.cached]).sort()).toEqual([["extension:ext", ext, false], ["repo:app", app, false]]);
      const offline = await runCli(["fetch", w.recipe, "--cache", w.cacheDir, "--offline"], { env: {} });
      expect(offline.code, offline.stderr).toBe(0);
      expect(offline.stdout).toMatch(/2 already cached; 2 repositories: 0 fetched, 2 already cached/);
      const build = await runCli(["build", w.recipe, "--cache", w.cacheDir, "--offline", "--out", join(w.dir, "dist"), "--format", "dir"], { env: {} });
      expect(build.stderr).not.toContain("repository commits not in the cache");
      const empty = await runCli(["fetch", w.recipe, "--cache", join(w.dir, "empty"), "--offline"], { env: {} });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain("--offline: 2 of 2 repository commit(s) are not in the cache");
    } finally {
      await git.close();
    }
  });

  it("rejects --jobs that is not a whole number with exit 2", async () => {
    const w = await world();
    const r = await runCli(["fetch", w.recipe, "--jobs", "many"], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--jobs must be a whole number/);
  });
});
