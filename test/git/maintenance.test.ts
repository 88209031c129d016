// bundle cache ls | verify | gc cover the git cache too ("inspect, re-hash, prune the
// cache"): bare repositories are listed with their pinned commits, checked with git fsck, and
// pruned by the same rules as blobs — a recipe's repositories and extensions are kept.
import { readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, startGitServer, type GitServer } from "../../src/demo/git-server.ts";
import { bareCachePath, ensureCommit, GIT_CACHE_DIR, type RepoRequest } from "../../src/git/cache.ts";
import { listCachedRepos, planRepoGc, type CachedRepo } from "../../src/git/maintenance.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

let srv: GitServer;
let tmp: string;
let keep: string;
let drop: string;

beforeAll(async () => {
  tmp = await tempDir("gb-git-maint-");
  keep = (await createFixtureRepo(join(tmp, "srv"), "o/kept.git", [{ message: "k", files: { "a.py": "A = 1\n" } }]))[0]!;
  drop = (await createFixtureRepo(join(tmp, "srv"), "o/dropped.git", [{ message: "d", files: { "b.py": "B = 1\n" } }]))[0]!;
  srv = await startGitServer({ root: join(tmp, "srv") });
});
afterAll(async () => srv?.close());

const req = (name: string, commit: string): RepoRequest => ({ id: `repo:${name}`, name, commit, urls: [`${srv.url}/o/${name}.git`], origin: `${srv.url}/o/${name}.git` });

/** A cache holding both repositories, and a recipe that needs only o/kept.git. */
async function filled() {
  const dir = await tempDir("gb-git-maint-");
  const cacheDir = join(dir, "cache");
  await ensureCommit(req("kept", keep), { cacheDir });
  await ensureCommit(req("dropped", drop), { cacheDir });
  const H = "a".repeat(64);
  const recipe = join(dir, "recipe.yml");
  await writeFile(
    recipe,
    [
      "recipe: 1",
      "name: git-maint",
      "version: 1.0.0",
      "platforms: [linux-x64]",
      `mirrors: { git: ["${srv.url}"], m: ["http://127.0.0.1:9"] }`,
      "python: { version: 3.11.7, linux-x64: { url: mirror://m/p.tar.gz, sha256: " + H + " } }",
      `repos: [{ path: app, url: mirror://git/o/kept.git, commit: ${keep} }]`,
      "launcher:",
      `  node: { linux-x64: { url: mirror://m/n.tar.gz, sha256: ${H} } }`,
      '  command: ["{python}", "app.py"]',
      "  ready: /",
      "",
    ].join("\n"),
  );
  return { dir, cacheDir, recipe };
}

describe("the git cache in bundle cache", () => {
  it("ls lists each bare repository with its pinned commit, size and origin (text and JSON)", async () => {
    const w = await filled();
    const r = await runCli(["cache", "ls", "--cache", w.cacheDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: 0 blob\(s\), 0 B; 2 git repositories, [\d.]+ KiB/);
    expect(r.stdout).toMatch(new RegExp(`${keep.slice(0, 12)}\\s+[\\d.]+ KiB\\s+now\\s+${srv.url}/o/kept\\.git`));
    const j = JSON.parse((await runCli(["cache", "ls", "--cache", w.cacheDir, "--json"])).stdout) as { repos: { origin: string; commits: string[]; urls: Record<string, string> }[] };
    expect(j.repos.map((x) => x.origin).sort()).toEqual([`${srv.url}/o/dropped.git`, `${srv.url}/o/kept.git`]);
    expect(j.repos.find((x) => x.origin.endsWith("kept.git"))).toMatchObject({ commits: [keep], urls: { [keep]: `${srv.url}/o/kept.git` } });
  });

  it("verify runs git fsck on each repository, evicts a damaged one and exits 1", async () => {
    const w = await filled();
    const ok = await runCli(["cache", "verify", "--cache", w.cacheDir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("2 git repositories checked with git fsck");
    const bare = bareCachePath(w.cacheDir, req("dropped", drop).origin);
    const packs = join(bare, "objects", "pack");
    for (const f of await readdir(packs)) if (f.endsWith(".pack")) await rm(join(packs, f));
    const r = await runCli(["cache", "verify", "--cache", w.cacheDir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2 git repositories checked with git fsck .*, 1 corrupt and evicted:/);
    expect(r.stderr).toContain("1 corrupt git repository was evicted");
    expect(await readdir(join(w.cacheDir, GIT_CACHE_DIR))).toEqual([bareCachePath(w.cacheDir, req("kept", keep).origin).split("/").pop()]);
  });

  it("gc keeps the repositories a recipe needs and drops the others (dry run first)", async () => {
    const w = await filled();
    const dry = await runCli(["cache", "gc", w.recipe, "--cache", w.cacheDir, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would remove 0 blob\(s\), 0 B, 1 git repository, [\d.]+ KiB/);
    expect(dry.stdout).toContain(`git  `);
    expect(dry.stdout).toContain(`${srv.url}/o/dropped.git`);
    expect((await listCachedRepos(w.cacheDir)).length).toBe(2);
    const r = await runCli(["cache", "gc", w.recipe, "--cache", w.cacheDir]);
    expect(r.stdout).toMatch(/removed 0 blob\(s\), 0 B, 1 git repository/);
    expect((await listCachedRepos(w.cacheDir)).map((x) => x.origin)).toEqual([`${srv.url}/o/kept.git`]);
  });

  it("gc --older-than drops repositories neither fetched nor used for that long; a build's use counts", async () => {
    const w = await filled();
    const long = new Date(Date.now() - 40 * 86_400_000);
    for (const r of await listCachedRepos(w.cacheDir)) {
      for (const e of await readdir(r.path, { recursive: true, withFileTypes: true })) if (e.isFile()) await utimes(join(e.parentPath, e.name), long, long);
    }
    await ensureCommit(req("kept", keep), { cacheDir: w.cacheDir }); // served from the cache: marks it used
    await utimes(join(bareCachePath(w.cacheDir, req("kept", keep).origin), "greenbundle-used"), long, long);
    await ensureCommit(req("kept", keep), { cacheDir: w.cacheDir }); // an existing mark is renewed
    const r = await runCli(["cache", "gc", "--older-than", "30", "--cache", w.cacheDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 0 blob\(s\), 0 B, 1 git repository/);
    expect((await listCachedRepos(w.cacheDir)).map((x) => x.origin)).toEqual([`${srv.url}/o/kept.git`]);
  });
});

describe("planRepoGc", () => {
  const repo = (path: string, lastUsed: number): CachedRepo => ({ path, origin: path, commits: [], urls: {}, bytes: 1, lastUsed });
  const now = 100 * 86_400_000;
  const all = [repo("a", now), repo("b", 0), repo("c", now)];

  it("applies the blobs' rules: needed ones stay, and with both rules only unneeded old ones go", () => {
    expect(planRepoGc(all, { keep: new Set(["a"]), now }).remove.map((x) => x.path)).toEqual(["b", "c"]);
    expect(planRepoGc(all, { keep: new Set(["a"]), olderThanMs: 86_400_000, now }).remove.map((x) => x.path)).toEqual(["b"]);
    expect(planRepoGc(all, { olderThanMs: 86_400_000, now }).remove.map((x) => x.path)).toEqual(["b"]);
  });
});
