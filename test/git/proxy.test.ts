// Repositories are fetched with the proxy settings file downloads use (HTTPS_PROXY,
// HTTP_PROXY and NO_PROXY are honoured): an upper-case HTTP_PROXY counts (curl alone ignores it)
// and loopback mirrors never go through the proxy, as for files (src/fetch/session.ts).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, startGitServer, type GitServer } from "../../src/demo/git-server.ts";
import { ensureCommit } from "../../src/git/cache.ts";
import { gitEnv } from "../../src/git/run.ts";
import { tempDir } from "../helpers/tmp.ts";

let srv: GitServer;
let commit: string;
let tmp: string;

beforeAll(async () => {
  tmp = await tempDir("gb-git-proxy-");
  commit = (await createFixtureRepo(join(tmp, "srv"), "o/app.git", [{ message: "a", files: { "a.py": "A = 1\n" } }]))[0]!;
  srv = await startGitServer({ root: join(tmp, "srv") });
});
afterAll(async () => srv?.close());

describe("git and proxies", () => {
  it("passes the download proxy settings to git in the names curl reads, loopback exempt", () => {
    const env = gitEnv({ baseEnv: { PATH: "/bin", HTTP_PROXY: "http://proxy:3128", NO_PROXY: "mirrors.lan" } });
    expect(env.http_proxy).toBe("http://proxy:3128");
    expect(env.https_proxy).toBe("http://proxy:3128");
    expect(env.no_proxy).toBe("mirrors.lan,localhost,127.0.0.1,::1");
    expect(env.HTTP_PROXY).toBeUndefined();
    expect(gitEnv({ baseEnv: { PATH: "/bin" } }).no_proxy).toBeUndefined();
  });

  it("fetches from a loopback mirror while a proxy that cannot be reached is set", async () => {
    const dead = "http://127.0.0.1:9";
    const got = await ensureCommit(
      { id: "repo:app", name: "app", commit, urls: [`${srv.url}/o/app.git`], origin: `${srv.url}/o/app.git` },
      { cacheDir: join(tmp, "cache"), rounds: 1, env: { ...process.env, http_proxy: dead, HTTPS_PROXY: dead, HTTP_PROXY: dead } },
    );
    expect(got).toMatchObject({ commit, cached: false, url: `${srv.url}/o/app.git` });
  });
});
