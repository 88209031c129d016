import { createHash } from "node:crypto";
import { readdir, readFile, stat, mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBundleError } from "../../src/core/errors.ts";
import { collector } from "../../src/core/events.ts";
import { createFixtureRepo, startGitServer, type GitServer } from "../../src/demo/git-server.ts";
import { bareCachePath, canonicalRepoUrl, ensureCommit, missingCommits, type RepoRequest } from "../../src/git/cache.ts";
import { fetchRepos, placeRepos } from "../../src/git/repos.ts";
import { tempDir } from "../helpers/tmp.ts";

let m1: GitServer;
let m2: GitServer;
let tmp: string;
let webui: string[];
let inner: string[];
let onlySecond: string[];

beforeAll(async () => {
  tmp = await tempDir("gb-git-");
  webui = await createFixtureRepo(join(tmp, "m1"), "o/webui.git", [
    { message: "first", files: { "launch.py": "print('hi')\n", ".gitignore": "/repositories\n", "run.sh": "#!/bin/sh\necho run\n" }, exec: ["run.sh"] },
    { message: "second", files: { "launch.py": "print('v2')\n" } },
  ]);
  inner = await createFixtureRepo(join(tmp, "m1"), "o/inner.git", [{ message: "inner", files: { "k.py": "x = 1\n" } }], "trunk");
  onlySecond = await createFixtureRepo(join(tmp, "m2"), "o/second.git", [{ message: "s", files: { "LICENSE": "MIT\n" } }]);
  m1 = await startGitServer({ root: join(tmp, "m1") });
  m2 = await startGitServer({ root: join(tmp, "m2") });
});
afterAll(async () => {
  await m1?.close();
  await m2?.close();
});

const req = (name: string, commit: string, path = `o/${name}.git`): RepoRequest => ({
  id: `repo:${name}`,
  name,
  commit,
  urls: [`${m1.url}/${path}`, `${m2.url}/${path}`],
  origin: `https://github.com/${path}`,
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

async function treeHash(dir: string): Promise<string> {
  const h = createHash("sha256");
  for (const f of await filesUnder(dir)) h.update(f).update("\0").update(await readFile(join(dir, f))).update("\0");
  return h.digest("hex");
}

describe("git cache", () => {
  it("names a cache entry by the canonical URL, so .git suffixes and host case do not matter", () => {
    expect(canonicalRepoUrl("https://GitHub.com/a/b.git/")).toBe("https://github.com/a/b");
    expect(bareCachePath("/c", "https://github.com/a/b.git")).toBe(bareCachePath("/c", "https://github.com/a/b"));
    expect(bareCachePath("/c", "https://github.com/a/b")).toMatch(/^\/c\/git-v1\/[0-9a-f]{32}\.git$/);
  });

  it("fetches a pinned commit that is not a branch tip from the first mirror", async () => {
    const cache = await tempDir();
    const before = m1.fetches();
    const { emit, events } = collector();
    const got = await ensureCommit(req("webui", webui[0]!), { cacheDir: cache, emit });
    expect(events.find((e) => e.type === "download:done")).toMatchObject({ cached: false, bytes: expect.any(Number) });
    expect((events.find((e) => e.type === "download:done") as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(got).toMatchObject({ commit: webui[0], url: `${m1.url}/o/webui.git`, cached: false, branch: "main" });
    expect(m1.fetches()).toBeGreaterThan(before);
    const again = await ensureCommit(req("webui", webui[0]!), { cacheDir: cache });
    expect(again).toMatchObject({ cached: true, url: `${m1.url}/o/webui.git` });
  });

  it("falls back to the second mirror when the first does not have the repository", async () => {
    const cache = await tempDir();
    const got = await ensureCommit(req("second", onlySecond[0]!), { cacheDir: cache, rounds: 1 });
    expect(got.url).toBe(`${m2.url}/o/second.git`);
  });

  it("fails naming the repository, the commit and what every mirror said when no mirror has the commit", async () => {
    const cache = await tempDir();
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const err = await ensureCommit(req("webui", missing), { cacheDir: cache, rounds: 1 }).catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("GIT");
    const msg = (err as Error).message;
    expect(msg).toContain("webui");
    expect(msg).toContain(missing);
    expect(msg).toContain(`${m1.url}/o/webui.git: fatal: remote error: upload-pack: not our ref`);
    expect(msg).toContain(`${m2.url}/o/webui.git: fatal: repository`);
  });

  it("tries the next mirror when one answers with a server error", async () => {
    const cache = await tempDir();
    m1.setFault(503);
    try {
      const r: RepoRequest = { ...req("webui", webui[1]!), urls: [`${m1.url}/o/webui.git`, `${m2.url}/o/webui.git`, `${m1.url}/o/webui.git`.replace("webui", "missing")] };
      const err = await ensureCommit(r, { cacheDir: cache, rounds: 1 }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/503|returned error/);
    } finally {
      m1.setFault(undefined);
    }
  });

  it("lists repositories whose commit is not cached (for --offline)", async () => {
    const cache = await tempDir();
    await ensureCommit(req("webui", webui[0]!), { cacheDir: cache });
    const missing = await missingCommits(cache, [req("webui", webui[0]!), req("webui", webui[1]!), req("inner", inner[0]!)]);
    expect(missing.map((m) => m.commit)).toEqual([webui[1], inner[0]]);
  });
});

describe("placed checkouts", () => {
  let cache: string;
  let out: string;
  const place = async (root: string, platform: "linux-x64" | "win-x64" = "linux-x64") => {
    const reqs = [req("webui", webui[0]!), req("inner", inner[0]!)];
    const fetched = await fetchRepos(reqs, { cacheDir: cache });
    await placeRepos(
      [
        { dest: "webui/repositories/inner", commit: inner[0]!, origin: reqs[1]!.origin, fetched: fetched.get("repo:inner")! },
        { dest: "webui", commit: webui[0]!, origin: reqs[0]!.origin, fetched: fetched.get("repo:webui")! },
      ],
      root,
      platform,
    );
  };
  beforeAll(async () => {
    cache = await tempDir();
    out = await tempDir();
    await place(join(out, "a"));
  });

  it("puts HEAD at the pinned commit on a branch tracking origin, with a clean status", async () => {
    const dir = join(out, "a", "webui");
    const g = (...a: string[]) => execa("git", ["-C", dir, ...a]).then((r) => r.stdout.trim());
    expect(await g("rev-parse", "HEAD")).toBe(webui[0]);
    expect(await g("symbolic-ref", "HEAD")).toBe("refs/heads/main");
    expect(await g("remote", "get-url", "origin")).toBe("https://github.com/o/webui.git");
    expect(await g("status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(await readFile(join(dir, "launch.py"), "utf8")).toBe("print('hi')\n");
    expect((await stat(join(dir, "run.sh"))).mode & 0o111).not.toBe(0);
  });

  it("keeps a nested repository separate: its own HEAD, and the outer one ignores it", async () => {
    const dir = join(out, "a", "webui", "repositories", "inner");
    expect((await execa("git", ["-C", dir, "rev-parse", "HEAD"])).stdout).toBe(inner[0]);
    expect((await execa("git", ["-C", dir, "rev-parse", "--show-toplevel"])).stdout).toBe(dir);
    expect((await execa("git", ["-C", dir, "symbolic-ref", "--short", "HEAD"])).stdout).toBe("trunk");
    const outer = (await execa("git", ["-C", join(out, "a", "webui"), "status", "--porcelain", "--ignored"])).stdout;
    expect(outer).not.toContain("k.py");
    expect(await readFile(join(out, "a", "webui", ".git", "info", "exclude"), "utf8")).toContain("/repositories/inner/");
  });

  it("writes no reflogs, FETCH_HEAD, hooks or description, and an index without stat data", async () => {
    await place(join(out, "fresh"));
    const files = await filesUnder(join(out, "fresh", "webui", ".git"));
    expect(files.filter((f) => /^(logs|hooks)\/|FETCH_HEAD|ORIG_HEAD|description/.test(f))).toEqual([]);
    const debug = (await execa("git", ["-C", join(out, "fresh", "webui"), "--no-optional-locks", "ls-files", "--debug"])).stdout;
    expect(debug).toMatch(/ctime: 0:0/);
    expect(debug).not.toMatch(/mtime: [1-9]/);
  });

  it("produces byte-identical checkouts in two different folders", async () => {
    // (the other tests ran `git status` in "a", which refreshes its index)
    await place(join(out, "b"));
    await place(join(out, "c"));
    expect(await treeHash(join(out, "b"))).toBe(await treeHash(join(out, "c")));
  });

  it("creates the recipe's tag at the pinned commit, so that `git describe --tags` names the release", async () => {
    const reqs = [req("webui", webui[0]!)];
    const fetched = await fetchRepos(reqs, { cacheDir: cache });
    const root = join(out, "tagged");
    await placeRepos([{ dest: "webui", commit: webui[0]!, origin: reqs[0]!.origin, tag: "v1.10.1", fetched: fetched.get("repo:webui")! }], root, "linux-x64");
    const dir = join(root, "webui");
    expect((await execa("git", ["-C", dir, "describe", "--tags"])).stdout).toBe("v1.10.1");
    expect(await readFile(join(dir, ".git", "refs", "tags", "v1.10.1"), "utf8")).toBe(`${webui[0]}\n`);
    expect((await execa("git", ["-C", dir, "status", "--porcelain"])).stdout).toBe("");
    // without a tag, describe fails as A1111 sees it in an untagged checkout
    const plain = await execa("git", ["-C", join(out, "a", "webui"), "describe", "--tags"], { reject: false });
    expect(plain.exitCode).not.toBe(0);
    expect(plain.stderr).toMatch(/No names found|cannot describe/);
  });

  it("writes the Windows-flavoured config for win-x64 bundles", async () => {
    await place(join(out, "w"), "win-x64");
    const cfg = await readFile(join(out, "w", "webui", ".git", "config"), "utf8");
    expect(cfg).toContain("filemode = false");
    expect(cfg).toContain("symlinks = false");
  });

  it("refuses to place a repository over existing files", async () => {
    const root = join(out, "busy");
    await mkdir(join(root, "webui"), { recursive: true });
    await writeFile(join(root, "webui", "x"), "x");
    const err = await place(root).catch((e: unknown) => e);
    expect(isBundleError(err) && err.code).toBe("GIT");
    expect((err as Error).message).toContain("already has files");
  });
});
