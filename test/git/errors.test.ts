// When every git mirror fails, the error says whether the commit is missing (every mirror said
// "not found") or the mirrors could not be reached — and gives the hint that fits.
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleError } from "../../src/core/errors.ts";
import { createFixtureRepo, startGitServer, type GitServer } from "../../src/demo/git-server.ts";
import { ensureCommit } from "../../src/git/cache.ts";
import { tempDir } from "../helpers/tmp.ts";

let tmp: string;
let good: GitServer;
let commit: string;
let refused: string;
let garbage: string;

beforeAll(async () => {
  tmp = await tempDir("gb-git-errors-");
  [commit] = (await createFixtureRepo(join(tmp, "m"), "o/app.git", [{ message: "one", files: { "a.py": "x = 1\n" } }])) as [string];
  good = await startGitServer({ root: join(tmp, "m") });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  refused = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
  closed.close();
  // A server that answers 200 with garbage to everything (a captive portal, a wrong proxy).
  const g = createHttpServer((_q, r) => r.end("garbage garbage garbage\n"));
  await new Promise<void>((r) => g.listen(0, "127.0.0.1", r));
  garbage = `http://127.0.0.1:${(g.address() as { port: number }).port}`;
  afterAll(() => g.close());
});
afterAll(async () => good?.close());

async function failure(urls: string[], want: string): Promise<BundleError> {
  try {
    await ensureCommit({ id: "repo:app", name: "app", commit: want, urls, origin: "https://example.invalid/o/app.git" }, { cacheDir: join(tmp, "cache"), rounds: 1 });
  } catch (e) {
    if (e instanceof BundleError) return e;
    throw e;
  }
  throw new Error("expected the fetch to fail");
}

describe("git mirrors that all fail", () => {
  it("says the commit is on no mirror only when every mirror answered without it", async () => {
    const e = await failure([`${good.url}/o/app.git`], "b".repeat(40));
    expect(e.code).toBe("GIT");
    expect(e.message).toMatch(new RegExp(`^no mirror has app at commit ${"b".repeat(40)}:`));
    expect(e.hint).toMatch(/^check that the commit exists upstream/);
  });

  it("says the mirrors could not be reached, with the network hint, when they refuse or answer garbage", async () => {
    const e = await failure([`${refused}/o/app.git`, `${garbage}/o/app.git`], commit);
    expect(e.message).toMatch(new RegExp(`^could not fetch app at commit ${commit} from any mirror:`));
    expect(e.message).toContain(`${refused}/o/app.git: `);
    expect(e.message).toContain(`${garbage}/o/app.git: `);
    expect(e.hint).toMatch(/^check the network or proxy/);
  });
});
