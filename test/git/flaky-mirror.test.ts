// A mirror behind a flaky proxy answers HTTP 500 to the first request for every URL. File
// downloads and git fetches go through one mirror policy, so both recover the same way: git's
// smart-HTTP exchange asks several URLs in turn (info/refs, then upload-pack), meets the fault once
// for each, and needs as many rounds on the one mirror as that takes.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, startGitServer, type GitServer } from "../../src/demo/git-server.ts";
import { firstRequestPerUrl } from "../../src/demo/http-server.ts";
import { fetchAll } from "../../src/fetch/index.ts";
import { FetchSession } from "../../src/fetch/session.ts";
import { ensureCommit } from "../../src/git/cache.ts";
import { collector } from "../../src/core/events.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { eventsOf, file, options, server, writeRecipe } from "../fetch/helpers.ts";

const MiB = 1 << 20;
const SMALL = file(300_000, 71);
const LARGE = file(5 * MiB + 777, 72);
const PY = file(40_000, 73);
const NODE = file(50_000, 74);

let tmp: string;
let gitSrv: GitServer;
let commit: string;

beforeAll(async () => {
  tmp = await tempDir("gb-flaky-");
  [commit] = (await createFixtureRepo(join(tmp, "srv"), "o/app.git", [{ message: "one", files: { "app.py": "print('hi')\n" } }])) as [string];
  gitSrv = await startGitServer({ root: join(tmp, "srv") });
});
afterAll(async () => gitSrv?.close());

describe("a mirror that fails the first request for every URL", () => {
  it("file downloads recover, streamed and segmented", async () => {
    const s = await server({ files: { "/small.bin": SMALL, "/large.bin": LARGE } });
    s.setFault("*", { status: 500, when: firstRequestPerUrl() });
    const o = options(await tempDir(), { segmentThreshold: MiB, segments: 4 });
    const got = await fetchAll(
      [
        { id: "small", urls: [`${s.url}/small.bin`], sha256: SMALL.sha256, size: SMALL.size },
        { id: "large", urls: [`${s.url}/large.bin`], sha256: LARGE.sha256, size: LARGE.size },
      ],
      o,
    );
    expect([...got.keys()].sort()).toEqual(["large", "small"]);
    for (const path of ["/small.bin", "/large.bin"]) expect(s.stats.requests.find((q) => q.path === path)?.status).toBe(500);
  });

  it("git fetches recover the same way, one mirror and as many rounds as the exchange has URLs", async () => {
    gitSrv.setFault({ status: 500, when: firstRequestPerUrl() });
    try {
      const { emit, events } = collector();
      const session = new FetchSession();
      const got = await ensureCommit(
        { id: "repo:app", name: "app", commit, urls: [`${gitSrv.url}/o/app.git`], origin: "https://example.invalid/o/app.git" },
        { cacheDir: await tempDir(), emit, session, backoff: { minMs: 1, maxMs: 5 } },
      );
      await session.close();
      expect(got).toMatchObject({ commit, cached: false, url: `${gitSrv.url}/o/app.git` });
      // info/refs and upload-pack each failed once: two rounds lost, then the third worked.
      const failed = new Set(gitSrv.log.filter((r) => r.status === 500).map((r) => `${r.method} ${r.path}`));
      expect(failed).toEqual(new Set(["GET /o/app.git/info/refs", "POST /o/app.git/git-upload-pack"]));
      expect(eventsOf(events, "download:retry").map((e) => e.attempt)).toEqual([2, 3]);
      expect(eventsOf(events, "download:retry")[0]!.reason).toMatch(/returned error: 500/);
    } finally {
      gitSrv.setFault(undefined);
    }
  });

  it("a real bundle fetch of files and a repository through it succeeds", async () => {
    const dir = await tempDir();
    const s = await server({ files: { "/m/python.tar.gz": PY, "/m/node.tar.gz": NODE, "/m/small.bin": SMALL } });
    s.setFault("*", { status: 500, when: firstRequestPerUrl() });
    gitSrv.setFault({ status: 500, when: firstRequestPerUrl() });
    try {
      const recipe = await writeRecipe(dir, [`${s.url}/m`], {
        python: { path: "", urls: ["mirror://m/python.tar.gz"], sha256: PY.sha256 },
        node: { path: "", urls: ["mirror://m/node.tar.gz"], sha256: NODE.sha256 },
        files: [{ path: "app/small.bin", urls: ["mirror://m/small.bin"], sha256: SMALL.sha256 }],
        extra: ["repos:", "  - path: app", `    url: ${gitSrv.url}/o/app.git`, `    commit: ${commit}`],
      });
      const r = await runCli(["fetch", recipe, "--cache", join(dir, "cache"), "--json"], { env: { PATH: process.env.PATH ?? "" } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ downloaded: 3, repos: [{ id: "repo:app", commit, cached: false }] });
    } finally {
      gitSrv.setFault(undefined);
    }
  }, 30_000);
});
